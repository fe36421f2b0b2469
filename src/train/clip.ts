import * as tf from "@tensorflow/tfjs";
import type { Gradients } from "./gradients.js";

/**
 * Scale all gradients together so their global L2 norm is at most `maxNorm`
 * (Pascanu et al. 2013), as `torch.nn.utils.clip_grad_norm_`. Returns the norm
 * before clipping. Row-sparse gradients count exactly as their dense form would.
 */
export function clipGlobalNorm(gradients: Gradients, maxNorm: number): number {
  const norm = clipGlobalNormOnDevice(gradients, maxNorm);
  try {
    return norm.dataSync()[0]!;
  } finally {
    norm.dispose();
  }
}

/**
 * clipGlobalNorm without reading the norm back: the scale stays a tensor, so a
 * step runs to its end without waiting for the device (each read stalls a
 * GPU's queue). Every gradient is multiplied by min(1, maxNorm / (norm + 1e-6)),
 * which leaves it bit for bit unchanged when the norm is within the limit.
 * Returns the norm before clipping, `[]`; the caller disposes it.
 */
export function clipGlobalNormOnDevice(gradients: Gradients, maxNorm: number): tf.Scalar {
  const tensors = [...gradients.dense.values(), ...gradients.sparse.map((rows) => rows.gradient)];
  if (tensors.length === 0) return tf.scalar(0);
  const norm = tf.tidy(() => tf.sqrt(tf.addN(tensors.map((tensor) => tf.sum(tf.square(tensor))))) as tf.Scalar);
  const scale = tf.tidy(() => tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1));
  for (const [name, tensor] of gradients.dense) {
    gradients.dense.set(name, tf.mul(tensor, scale));
    tensor.dispose();
  }
  for (const rows of gradients.sparse) {
    const scaled = tf.mul(rows.gradient, scale) as tf.Tensor2D;
    rows.gradient.dispose();
    rows.gradient = scaled;
  }
  scale.dispose();
  return norm;
}
