import * as tf from "@tensorflow/tfjs";
import type { AdamW } from "./adamw.js";
import { clipGlobalNormOnDevice } from "./clip.js";
import { disposeGradients, type Gradients } from "./gradients.js";

/**
 * The end of every training step: clip the global norm (when a limit is given), apply
 * AdamW, release the gradients, and read the loss and the norm before clipping back to
 * the host together, in the step's one host read (a GPU waits for each read).
 */
export function optimizerStep(
  optimizer: AdamW,
  parameters: Map<string, tf.Variable>,
  gradients: Gradients,
  learningRate: number,
  maxGradNorm?: number,
): { loss: number; gradientNorm: number } {
  let logged: tf.Tensor1D | undefined;
  try {
    const norm = maxGradNorm === undefined ? undefined : clipGlobalNormOnDevice(gradients, maxGradNorm);
    logged = tf.tidy(() => tf.stack(norm === undefined ? [gradients.loss] : [gradients.loss, norm]) as tf.Tensor1D);
    norm?.dispose();
    optimizer.apply(parameters, gradients, learningRate);
    const values = logged.dataSync();
    return { loss: values[0]!, gradientNorm: values[1] ?? Number.NaN };
  } finally {
    logged?.dispose();
    disposeGradients(gradients);
  }
}
