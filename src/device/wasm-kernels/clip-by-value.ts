import type * as tf from "@tensorflow/tfjs";
import { allocate, input, view, wasmBackendOf, type KernelArguments } from "./heap.js";

/**
 * The wasm ClipByValue only knows float32 and writes float bits into int32
 * outputs. int32 is clipped here with the js backend's rule (compare, then
 * store into an Int32Array, which truncates a fractional bound).
 */
export function patchClipByValue(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args as KernelArguments;
    const x = input(inputs, "x");
    if (x.dtype !== "int32") return original(args);
    const { clipValueMin, clipValueMax } = attrs as unknown as tf.ClipByValueAttrs;
    const wasm = wasmBackendOf(backend);
    const output = allocate(wasm, x.shape, "int32");
    const values = view(wasm, x);
    const result = view(wasm, output);
    for (let index = 0; index < values.length; index++) {
      const value = values[index];
      result[index] = value > clipValueMax ? clipValueMax : Math.max(value, clipValueMin);
    }
    return output;
  };
}
