import type * as tf from "@tensorflow/tfjs";
import { allocate, input, sizeOf, view, wasmBackendOf, type KernelArguments } from "./heap.js";

/**
 * The wasm Select (tf.where) treats its branches as 4-byte values; with bool
 * branches it reads past them and writes 4 bytes per 1-byte element, which
 * corrupts the wasm heap and crashes later, unrelated kernels. Bool branches
 * are selected here; float32 and int32 go to the wasm kernel.
 *
 * The condition either matches the branches element for element or, as in
 * TensorFlow's Select, has one entry per leading slice.
 */
export function patchSelect(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, backend } = args as KernelArguments;
    const t = input(inputs, "t");
    if (t.dtype !== "bool") return original(args);
    const condition = input(inputs, "condition");
    const e = input(inputs, "e");
    const wasm = wasmBackendOf(backend);
    const output = allocate(wasm, t.shape, "bool");
    const chosen = view(wasm, condition);
    const whenTrue = view(wasm, t);
    const whenFalse = view(wasm, e);
    const result = view(wasm, output);
    const conditionSize = sizeOf(condition.shape);
    const blockSize = conditionSize === 0 ? 1 : sizeOf(t.shape) / conditionSize;
    for (let index = 0; index < result.length; index++) {
      result[index] = chosen[Math.floor(index / blockSize)] ? whenTrue[index] : whenFalse[index];
    }
    return output;
  };
}
