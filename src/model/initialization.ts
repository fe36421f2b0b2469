import * as tf from "@tensorflow/tfjs";
import { Random } from "../util/random.js";

/**
 * Initial values as HF's `BertPreTrainedModel._init_weights` sets them: weights and embeddings
 * N(0, initializer_range), biases zero, LayerNorm scale one. Drawn in JS from a seeded generator
 * so that a seed gives the same model on every backend. The caller disposes the tensors.
 */
export function initialWeights(
  shapes: [string, number[]][],
  initializerRange: number,
  seed: number,
): Map<string, tf.Tensor> {
  const random = new Random(seed);
  const weights = new Map<string, tf.Tensor>();
  for (const [name, shape] of shapes) {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    if (name.endsWith("LayerNorm.weight")) values.fill(1);
    else if (!name.endsWith("bias")) for (let i = 0; i < size; i++) values[i] = random.normal() * initializerRange;
    weights.set(name, tf.tensor(values, shape));
  }
  return weights;
}
