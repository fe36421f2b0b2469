import * as tf from "@tensorflow/tfjs";

/** What an operation returns: its value, and the gradients of its inputs given the value's. */
export interface OperationResult {
  value: tf.Tensor;
  /** The inputs' gradients, in the order of the inputs, from `dy` and what the forward pass saved. */
  gradients: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[];
}

/**
 * `tf.customGrad` with the inputs as one array, which TypeScript can type. The forward
 * pass runs with the tape off; the tape keeps only the tensors given to `save`. The
 * gradients run in one tidy, so their intermediates are freed at once rather than at
 * the end of the backward pass.
 */
export function operation(
  forward: (inputs: tf.Tensor[], save: tf.GradSaveFunc) => OperationResult,
): (...inputs: tf.Tensor[]) => tf.Tensor {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const { value, gradients } = forward(args.slice(0, -1) as tf.Tensor[], save);
    return { value, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => gradients(dy, saved)) };
  });
  return (...inputs) => op(...inputs);
}
