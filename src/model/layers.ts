import * as tf from "@tensorflow/tfjs";

/** A PyTorch `nn.Linear`'s parameters: `weight` `[out, in]`, `bias` `[out]`. */
export interface LinearWeights {
  weight: tf.Tensor2D;
  bias: tf.Tensor1D;
}

/** A PyTorch `nn.LayerNorm`'s parameters: scale `weight` and shift `bias`, each `[hidden]`. */
export interface LayerNormWeights {
  weight: tf.Tensor1D;
  bias: tf.Tensor1D;
}

/** `x W^T + b` with `W` in PyTorch's `[out, in]` layout, so checkpoints load without transposes. */
export function linear(x: tf.Tensor, weight: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor {
  const inFeatures = weight.shape[1];
  const leading = x.shape.slice(0, -1);
  const flat = x.reshape([-1, inFeatures]) as tf.Tensor2D;
  let y: tf.Tensor = tf.matMul(flat, weight, false, true); // [tokens, out]
  if (bias !== undefined) y = tf.add(y, bias);
  return y.reshape([...leading, weight.shape[0]]);
}

/** LayerNorm over the last axis with the biased variance, as torch computes it. */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  const normalized = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon)));
  return tf.add(tf.mul(normalized, gamma), beta);
}

/** The exact GELU of the BERT paper, `x Φ(x)`, not the tanh approximation. */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
}

/** Inverted dropout; identity unless training. The seed makes masks repeatable. */
export function dropout(x: tf.Tensor, rate: number, training: boolean, seed: () => number): tf.Tensor {
  if (!training || rate === 0) return x;
  return tf.dropout(x, rate, undefined, seed());
}

/** `x / max(||x||_2, 1e-12)` along the last axis, as `torch.nn.functional.normalize`. */
export function l2Normalize<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.div(x, tf.maximum(tf.norm(x, 2, -1, true), 1e-12)) as T);
}
