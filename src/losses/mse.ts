import * as tf from "@tensorflow/tfjs";

/**
 * The distillation objective of Reimers & Gurevych 2020 ("Making Monolingual Sentence
 * Embeddings Multilingual using Knowledge Distillation"): mean squared error between
 * student and teacher vectors, over all elements, as sentence-transformers' `MSELoss`.
 */
export function mseLoss(student: tf.Tensor2D, teacher: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.square(tf.sub(student, teacher))) as tf.Scalar);
}
