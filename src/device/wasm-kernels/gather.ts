import * as tf from "@tensorflow/tfjs";
import { allocate, input, view, wasmBackendOf, type KernelArguments } from "./heap.js";

/**
 * The wasm GatherV2 walks every element through strided index arithmetic: looking up 1,024
 * embedding rows of 256 floats took 20–26 ms, and a training step does it for word,
 * position and token-type embeddings and for the optimizer's rows (about a tenth of a
 * step). Gathering whole rows along axis 0 is one heap copy per row, done here; other
 * axes and batch dimensions go to the wasm kernel.
 */
export function patchGather(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args as KernelArguments;
    const x = input(inputs, "x");
    const indices = input(inputs, "indices");
    const { axis, batchDims } = attrs as unknown as tf.GatherV2Attrs;
    if (x.dtype === "string" || (batchDims ?? 0) !== 0 || tf.util.parseAxisParam(axis, x.shape)[0] !== 0) {
      return original(args);
    }
    const rows = x.shape[0]!;
    const rowSize = tf.util.sizeFromShape(x.shape.slice(1));
    const wasm = wasmBackendOf(backend);
    const output = allocate(wasm, [...indices.shape, ...x.shape.slice(1)], x.dtype);
    const ids = view(wasm, indices);
    const values = view(wasm, x);
    const result = view(wasm, output);
    for (let i = 0; i < ids.length; i++) {
      const row = ids[i]!;
      if (!(row >= 0 && row < rows)) throw new Error(`GatherV2: the index value ${row} is not in [0, ${rows - 1}]`);
      result.set(values.subarray(row * rowSize, (row + 1) * rowSize), i * rowSize);
    }
    return output;
  };
}
