import * as tf from "@tensorflow/tfjs";

/**
 * The triplet objective of SBERT (Reimers & Gurevych 2019, §3; Schroff et al. 2015):
 * `max(‖a − p‖ − ‖a − n‖ + margin, 0)` with plain Euclidean distance, averaged over
 * the batch. SBERT's paper uses margin 1 (sentence-transformers defaults to 5).
 */
export function tripletLoss(anchor: tf.Tensor2D, positive: tf.Tensor2D, negative: tf.Tensor2D, margin = 1): tf.Scalar {
  return tf.tidy(() => {
    // sqrt's derivative is infinite at 0, so identical sentences (duplicates in real data) would
    // turn every weight into NaN; below 1e-12 the squared distance is held constant instead.
    const distance = (a: tf.Tensor2D, b: tf.Tensor2D) => tf.sqrt(tf.maximum(tf.sum(tf.square(tf.sub(a, b)), 1), 1e-12));
    const hinge = tf.relu(tf.add(tf.sub(distance(anchor, positive), distance(anchor, negative)), margin));
    return tf.mean(hinge) as tf.Scalar;
  });
}
