import type * as tf from "@tensorflow/tfjs";
import { input, wasmBackendOf, type KernelArguments } from "./heap.js";

/**
 * The wasm Identity copies its input. The engine runs Identity for every
 * tensor a recorded op keeps for its gradient (`tf.clone` in
 * saveTensorsForBackwardMode), so a training step held a second copy of most
 * of its activations until the backward pass: 440 MB of a 960 MB step on the
 * benchmark's configuration. Tensor data is never written after its kernel
 * made it, so the output can share the input's memory, counted by reference,
 * as the cpu backend's Identity and wasm's own Reshape do.
 */
export function patchIdentity(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, backend } = args as KernelArguments;
    const x = input(inputs, "x");
    if (x.dtype === "string") return original(args);
    wasmBackendOf(backend).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
}
