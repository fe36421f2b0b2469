import type * as tf from "@tensorflow/tfjs";
import { allocate, input, view, wasmBackendOf, type KernelArguments } from "./heap.js";

/**
 * The wasm OneHot always writes int32 values, whatever dtype was asked for:
 * float32 outputs come back as denormal garbage and bool outputs (1 byte per
 * element) are overrun by 4-byte writes, corrupting the wasm heap. Only the
 * int32 case goes to the wasm kernel. As on the js backend, an index outside
 * [0, depth) gives a row of offValue.
 */
export function patchOneHot(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args as KernelArguments;
    const { depth, onValue, offValue, dtype } = attrs as unknown as tf.OneHotAttrs;
    if (dtype === undefined || dtype === "int32") return original(args);
    const wasm = wasmBackendOf(backend);
    const indices = input(inputs, "indices");
    const output = allocate(wasm, [...indices.shape, depth], dtype);
    const positions = view(wasm, indices);
    const result = view(wasm, output);
    const on = dtype === "bool" ? Number(onValue !== 0) : onValue;
    const off = dtype === "bool" ? Number(offValue !== 0) : offValue;
    result.fill(off);
    for (let row = 0; row < positions.length; row++) {
      const position = positions[row];
      if (position >= 0 && position < depth) result[row * depth + position] = on;
    }
    return output;
  };
}
