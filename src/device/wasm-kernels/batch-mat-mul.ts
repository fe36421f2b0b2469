import * as tf from "@tensorflow/tfjs";
import { input, runKernel, wasmBackendOf, type KernelArguments } from "./heap.js";
import { simdMatMul } from "./simd-matmul.js";

/**
 * The wasm BatchMatMul reaches XNNPACK's fast path only when neither operand is
 * transposed; with `transposeA` or `transposeB` it is about 13 times slower (1.7 against
 * 21 GFLOP/s for [1024, 256] × [256, 1024] on one core). Every matmul gradient uses
 * transposed operands, and so do `x Wᵀ` layers, so transposing explicitly first (a cheap
 * O(n²) copy) and then multiplying on the fast path makes training several times faster.
 * Batched matmuls (attention's) and few-row ones never reach XNNPACK at all: they go to
 * babelbed's SIMD kernels (`simd-matmul.ts`).
 */
export function patchBatchMatMul(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args as KernelArguments;
    const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
    const wasm = wasmBackendOf(backend);
    const product = simdMatMul(wasm, input(inputs, "a"), input(inputs, "b"), transposeA, transposeB);
    if (product !== undefined) return product;
    if (!transposeA && !transposeB) return original(args);
    const swapLastAxes = (info: tf.TensorInfo) => {
      const perm = info.shape.map((_, axis) => axis);
      [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1]!, perm[perm.length - 2]!];
      return runKernel(tf.Transpose, { x: info }, backend, { perm });
    };
    const a = transposeA ? swapLastAxes(input(inputs, "a")) : input(inputs, "a");
    const b = transposeB ? swapLastAxes(input(inputs, "b")) : input(inputs, "b");
    try {
      return original({ inputs: { a, b }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
    } finally {
      if (transposeA) wasm.disposeData(a.dataId);
      if (transposeB) wasm.disposeData(b.dataId);
    }
  };
}
