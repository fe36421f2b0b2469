import * as tf from "@tensorflow/tfjs";

/**
 * The regression objective of SBERT (Reimers & Gurevych 2019, §3): the cosine of
 * `u` and `v` regressed onto a gold similarity in [0, 1] with mean squared error,
 * as sentence-transformers' `CosineSimilarityLoss`.
 */
export function cosineSimilarityLoss(u: tf.Tensor2D, v: tf.Tensor2D, scores: Float32Array): tf.Scalar {
  return tf.tidy(() => {
    const difference = tf.sub(rowCosine(u, v), tf.tensor1d(scores));
    return tf.mean(tf.square(difference)) as tf.Scalar;
  });
}

/** Row-wise cosine similarity `[batch]`, with torch's 1e-8 floor on each norm. */
export function rowCosine(u: tf.Tensor2D, v: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const dot = tf.sum(tf.mul(u, v), 1);
    const norms = tf.mul(tf.maximum(tf.norm(u, 2, 1), 1e-8), tf.maximum(tf.norm(v, 2, 1), 1e-8));
    return tf.div(dot, norms) as tf.Tensor1D;
  });
}
