import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { allocate, sizeOf, view } from "./heap.js";
import { simdKernels } from "./simd/kernels.js";

/**
 * Below this many rows a single matmul goes to babelbed's kernel rather than XNNPACK, whose
 * packing of B on every call costs more than the product itself: a bias gradient's
 * `[1, tokens] × [tokens, features]` took 0.85 ms on XNNPACK, 0.1 ms here.
 */
const fewRows = 8;

/**
 * A batched or few-row float32 matmul on babelbed's SIMD kernels (`simd/matrices.wat`), or
 * undefined for the cases they do not take: other dtypes, empty operands, both operands
 * transposed, batches that broadcast other than one against many, and large single matmuls,
 * where XNNPACK is faster. Transposing A costs nothing here (it is read through strides);
 * a transposed B selects the dot-product kernel.
 */
export function simdMatMul(
  backend: BackendWasm,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): tf.TensorInfo | undefined {
  if (a.dtype !== "float32" || b.dtype !== "float32" || (transposeA && transposeB)) return undefined;
  if (a.shape.length < 2 || b.shape.length < 2) return undefined;
  const aOuter = a.shape.slice(0, -2);
  const bOuter = b.shape.slice(0, -2);
  const [aFirst, aSecond] = a.shape.slice(-2) as [number, number];
  const [bFirst, bSecond] = b.shape.slice(-2) as [number, number];
  const [m, k] = transposeA ? [aSecond, aFirst] : [aFirst, aSecond];
  const n = transposeB ? bFirst : bSecond;
  if ((transposeB ? bSecond : bFirst) !== k) return undefined;
  const aBatch = sizeOf(aOuter);
  const bBatch = sizeOf(bOuter);
  const batch = Math.max(aBatch, bBatch);
  if (m === 0 || n === 0 || k === 0 || batch === 0) return undefined;
  if (aBatch !== bBatch && aBatch !== 1 && bBatch !== 1) return undefined;
  if (batch === 1 && m > fewRows) return undefined;
  let outer: number[];
  try {
    outer = tf.broadcast_util.assertAndGetBroadcastShape(aOuter, bOuter);
  } catch {
    return undefined;
  }
  if (sizeOf(outer) !== batch) return undefined;
  const kernels = simdKernels(backend);
  if (kernels === undefined) return undefined;
  const output = allocate(backend, [...outer, m, n], "float32");
  const [aAddress, bAddress, cAddress] = [a, b, output].map((info) => view(backend, info).byteOffset) as [
    number,
    number,
    number,
  ];
  const float = Float32Array.BYTES_PER_ELEMENT;
  // A shared operand (a batch of one against many) is read again for every batch entry.
  const aStride = aBatch === 1 ? 0 : m * k * float;
  const bStride = bBatch === 1 ? 0 : k * n * float;
  if (transposeB) {
    kernels.dots(aAddress, bAddress, cAddress, batch, m, k, n, aStride, bStride);
  } else if (transposeA) {
    kernels.rows(aAddress, bAddress, cAddress, batch, m, k, n, aStride, float, m * float, bStride);
  } else {
    kernels.rows(aAddress, bAddress, cAddress, batch, m, k, n, aStride, k * float, float, bStride);
  }
  return output;
}
