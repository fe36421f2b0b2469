import * as tf from "@tensorflow/tfjs";
import { patchBatchMatMul } from "./batch-mat-mul.js";
import { patchCast } from "./cast.js";
import { patchClipByValue } from "./clip-by-value.js";
import { einsumKernel } from "./einsum.js";
import { patchGather } from "./gather.js";
import { geluGradientKernel, geluKernel } from "./gelu.js";
import { patchIdentity } from "./identity.js";
import { patchOneHot } from "./one-hot.js";
import { patchReverse } from "./reverse.js";
import { patchSelect } from "./select.js";
import { patchSlice } from "./slice.js";
import { patchStridedSlice } from "./strided-slice.js";
import { patchTranspose } from "./transpose.js";
import { unsortedSegmentSumKernel } from "./unsorted-segment-sum.js";

/**
 * Kernels tfjs-backend-wasm 4.22 lacks. Found by diffing
 * tf.getKernelsForBackend("cpu") against "wasm" and by running the forward and
 * backward passes of transformer training ops on both backends; see
 * test/device-wasm-kernels.test.ts. The other kernels missing from wasm
 * (complex numbers and FFT, ragged tensors, string regex, Draw, and the
 * convolution filter gradients) have no use in a transformer.
 */
const missingKernels: tf.KernelConfig[] = [unsortedSegmentSumKernel, einsumKernel];

/** Kernels of babelbed's own, which no tfjs backend has: BERT's GELU fused, forward and backward. */
const fusedKernels: tf.KernelConfig[] = [geluKernel, geluGradientKernel];

/**
 * Kernels wasm has but gets wrong for some dtypes (found by running each op
 * with float32, int32 and bool inputs on both backends), or runs far off its
 * fast path (BatchMatMul with transposed operands), or copies what it could
 * share (Identity) or copies more than it needs (Slice), or
 * walks rows element by element (GatherV2), or writes a float per cache line (Transpose);
 * batched and few-row matmuls and matrix transposes run on babelbed's SIMD kernels
 * (`simd/matrices.wat`). Each patch handles those
 * cases itself and hands every other call to the original kernel.
 */
const patches: Array<[kernelName: string, patch: (original: tf.KernelFunc) => tf.KernelFunc]> = [
  [tf.BatchMatMul, patchBatchMatMul],
  [tf.Cast, patchCast],
  [tf.OneHot, patchOneHot],
  [tf.ClipByValue, patchClipByValue],
  [tf.Select, patchSelect],
  [tf.Reverse, patchReverse],
  [tf.StridedSlice, patchStridedSlice],
  [tf.Identity, patchIdentity],
  [tf.Slice, patchSlice],
  [tf.GatherV2, patchGather],
  [tf.Transpose, patchTranspose],
];

/** Configs babelbed put in the registry, to recognise them on a second call. */
const ours = new WeakSet<tf.KernelConfig>();

/**
 * Register babelbed's wasm kernels; safe to call any number of times. Must
 * run after @tensorflow/tfjs-backend-wasm is imported, because patches wrap
 * the kernels it registers. Kernels that a newer tfjs-backend-wasm provides
 * itself are left alone. The setup function of a patched kernel is kept, so
 * the engine still prepares the original when the backend initialises.
 */
export function registerWasmKernels(): string[] {
  for (const config of [...missingKernels, ...fusedKernels]) {
    if (tf.getKernel(config.kernelName, "wasm") === undefined) {
      tf.registerKernel(config);
      ours.add(config);
    }
  }
  for (const [kernelName, patch] of patches) {
    const original = tf.getKernel(kernelName, "wasm");
    if (original === undefined || ours.has(original)) continue;
    const patched: tf.KernelConfig = { ...original, kernelFunc: patch(original.kernelFunc) };
    tf.unregisterKernel(kernelName, "wasm");
    tf.registerKernel(patched);
    ours.add(patched);
  }
  return registeredKernels();
}

/** Names of the wasm kernels babelbed registered or patched, sorted. */
export function registeredKernels(): string[] {
  return tf
    .getKernelsForBackend("wasm")
    .filter((config) => ours.has(config))
    .map((config) => config.kernelName)
    .sort();
}
