import * as tf from "@tensorflow/tfjs";
import { allocate, input, view, wasmBackendOf, type KernelArguments } from "./heap.js";

/**
 * The wasm Slice reads its whole input into a fresh JavaScript array
 * (`readSync`) before it copies the slice out, so taking a third of a
 * `[3 hidden, tokens]` projection copied all of it first, and splitting one
 * tensor in three copied it three times. A slice that is one contiguous run of
 * the input (leading-axis slices, `tf.split` on axis 0) is copied here straight
 * from the heap; the other cases go to the wasm kernel.
 */
export function patchSlice(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args as KernelArguments;
    const x = input(inputs, "x");
    if (x.dtype === "string") return original(args);
    const { begin, size } = attrs as unknown as tf.SliceAttrs;
    const [start, extent] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
    if (!tf.slice_util.isSliceContinous(x.shape, start, extent)) return original(args);
    const offset = tf.slice_util.computeFlatOffset(start, tf.util.computeStrides(x.shape));
    const wasm = wasmBackendOf(backend);
    const output = allocate(wasm, extent, x.dtype);
    const count = tf.util.sizeFromShape(extent);
    view(wasm, output).set(view(wasm, x).subarray(offset, offset + count));
    return output;
  };
}
