import * as tf from "@tensorflow/tfjs";
import { l2Normalize } from "../model/layers.js";

export interface MultipleNegativesOptions {
  /** Hard negatives `[batch, dimension]`, one per anchor, appended to the candidates. */
  negatives?: tf.Tensor2D;
  /** Multiplies the cosines before the softmax: 1 / temperature (sentence-transformers: 20). */
  scale?: number;
  /** Adds positive → anchor, averaged with anchor → candidate as `MultipleNegativesSymmetricRankingLoss`. */
  symmetric?: boolean;
}

/**
 * In-batch-negatives ranking loss: sentence-transformers' `MultipleNegativesRankingLoss`
 * (Henderson et al. 2017, "Efficient Natural Language Response Suggestion") and the
 * supervised SimCSE objective (Gao et al. 2021, "SimCSE", eq. 5). Anchor `i` must pick
 * its positive among the candidates = positives ++ hard negatives, scored
 * `scale · cos(anchor_i, candidate_j)`, with cross-entropy and target `i`.
 *
 * With `symmetric`, each positive must also pick its anchor among all anchors (hard
 * negatives take no part in that direction), and the two cross-entropies are averaged.
 */
export function multipleNegativesRankingLoss(
  anchors: tf.Tensor2D,
  positives: tf.Tensor2D,
  options: MultipleNegativesOptions = {},
): tf.Scalar {
  const scale = options.scale ?? 20;
  const size = anchors.shape[0];
  if (positives.shape[0] !== size)
    throw new Error(`anchors and positives differ in batch size: ${size} vs ${positives.shape[0]}`);
  if (options.negatives !== undefined && options.negatives.shape[0] !== size) {
    throw new Error(`anchors and hard negatives differ in batch size: ${size} vs ${options.negatives.shape[0]}`);
  }
  return tf.tidy(() => {
    const candidates = options.negatives === undefined ? positives : tf.concat([positives, options.negatives], 0); // [candidates, dimension]
    const scores = tf.mul(tf.matMul(l2Normalize(anchors), l2Normalize(candidates), false, true), scale) as tf.Tensor2D; // [batch, candidates]
    const forward = diagonalCrossEntropy(scores);
    if (!options.symmetric) return forward;
    // tfjs normalises only along the last axis, so positive → anchor reads the transposed square block.
    const square = scores.slice([0, 0], [size, size]);
    const backward = diagonalCrossEntropy(square.transpose());
    return tf.div(tf.add(forward, backward), 2) as tf.Scalar;
  });
}

/** Mean cross-entropy of `logits` `[batch, classes]` where row `i`'s target is class `i`. */
function diagonalCrossEntropy(logits: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const [rows, classes] = logits.shape;
    const targets = tf.oneHot(tf.range(0, rows, 1, "int32"), classes); // [batch, classes]
    return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), targets), 1))) as tf.Scalar;
  });
}
