import type * as tf from "@tensorflow/tfjs";
import { allocate, input, view, wasmBackendOf, type KernelArguments } from "./heap.js";

/**
 * The wasm Cast copies values with TypedArray.set, which for a bool target
 * means a Uint8 conversion: -0.5 becomes 0, 2.7 becomes 2 and 256 becomes 0,
 * so `tf.cast(x, "bool")` (how attention masks are usually made) is wrong.
 * Casting to bool is "not equal to zero" everywhere else (NaN is true); that
 * case is computed here and every other cast goes to the wasm kernel.
 */
export function patchCast(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args as KernelArguments;
    const x = input(inputs, "x");
    const { dtype } = attrs as unknown as tf.CastAttrs;
    if (dtype !== "bool" || x.dtype === "bool" || (x.dtype !== "float32" && x.dtype !== "int32")) {
      return original(args);
    }
    const wasm = wasmBackendOf(backend);
    const output = allocate(wasm, x.shape, "bool");
    const values = view(wasm, x);
    const result = view(wasm, output);
    for (let index = 0; index < values.length; index++) result[index] = values[index] !== 0 ? 1 : 0;
    return output;
  };
}
