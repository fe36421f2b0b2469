import * as tf from "@tensorflow/tfjs";
import { l2Normalize } from "../model/layers.js";

export interface AdditiveMarginOptions {
  /** Subtracted from the cosine of each true pair only (the paper: 0.3). */
  margin: number;
  /** Multiplies the cosines before the softmax. */
  scale: number;
  /** "sum" is the paper's L + L′ (eq. 2 with eq. 3); "mean" halves it. */
  reduction: "sum" | "mean";
}

/**
 * The bidirectional additive-margin softmax of LaBSE (Feng et al. 2020, "Language-agnostic
 * BERT Sentence Embedding", eqs. 2–3; Yang et al. 2019): in-batch negatives, cross-entropy
 * source→target plus target→source over `scale · (cos(x_i, y_j) − margin·[i = j])`.
 */
export function additiveMarginLoss(x: tf.Tensor2D, y: tf.Tensor2D, options: AdditiveMarginOptions): tf.Scalar {
  return tf.tidy(() => {
    const size = x.shape[0];
    const cosines = tf.matMul(l2Normalize(x), l2Normalize(y), false, true); // [batch, batch]
    const identity = tf.eye(size);
    const logits = tf.mul(tf.sub(cosines, tf.mul(identity, options.margin)), options.scale);
    // tfjs normalises only along the last axis, so target→source reads the transposed logits.
    const forward = tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), identity), 1)));
    const backward = tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits.transpose()), identity), 1)));
    const total = tf.add(forward, backward);
    return (options.reduction === "sum" ? total : tf.div(total, 2)) as tf.Scalar;
  });
}
