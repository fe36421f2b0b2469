import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { assemble, render } from "../scripts/build-wasm-kernels.js";
import { fusedGelu, fusedGeluGradient, selectDevice, useSimdKernels, withBackend } from "../src/device/index.js";
import { simdMatMul } from "../src/device/wasm-kernels/simd-matmul.js";
import { simdKernels } from "../src/device/wasm-kernels/simd/kernels.js";

/** Values from the cpu backend and from wasm for the same computation on the same inputs. */
async function onBoth(
  compute: (inputs: tf.Tensor[]) => tf.Tensor,
  shapes: number[][],
  dtype: "float32" | "int32" = "float32",
): Promise<{ cpu: number[]; wasm: number[]; shape: number[] }> {
  const values = shapes.map((shape, index) =>
    Array.from(tf.randomUniform(shape, -3, 3, "float32", 17 + index).dataSync()).map((value) =>
      dtype === "int32" ? Math.round(value * 1000) : value,
    ),
  );
  const run = (backend: string) =>
    withBackend(backend, () =>
      tf.tidy(() => {
        const result = compute(values.map((flat, index) => tf.tensor(flat, shapes[index], dtype)));
        return { values: Array.from(result.dataSync()), shape: result.shape };
      }),
    );
  const cpu = await run("cpu");
  const wasm = await run("wasm");
  assert.deepEqual(wasm.shape, cpu.shape);
  return { cpu: cpu.values, wasm: wasm.values, shape: wasm.shape };
}

function assertClose(actual: number[], expected: number[], tolerance: number, label: string): void {
  assert.equal(actual.length, expected.length, label);
  expected.forEach((value, index) => {
    const difference = Math.abs(actual[index]! - value) / Math.max(1, Math.abs(value));
    assert.ok(difference <= tolerance, `${label} [${index}]: wasm ${actual[index]}, cpu ${value}`);
  });
}

const backend = () => tf.backend() as BackendWasm;

before(async () => {
  await selectDevice("wasm");
});

test("the embedded kernel modules are the ones the .wat files assemble to", async () => {
  const embedded = readFileSync(new URL("../src/device/wasm-kernels/simd/binary.ts", import.meta.url), "utf8");
  assert.equal(embedded, render(await assemble()), "run node --import tsx scripts/build-wasm-kernels.ts");
});

// Attention's shapes and edges: k and n that are not multiples of 4 or 16, one batch against many.
const products: Array<[number[], number[], boolean, boolean]> = [
  [[2, 3, 5, 8], [2, 3, 6, 8], false, true], // Q Kᵀ
  [[2, 3, 5, 6], [2, 3, 6, 8], false, false], // P V
  [[2, 3, 6, 5], [2, 3, 6, 8], true, false], // Pᵀ dC
  [[4, 7, 37], [4, 37, 19], false, false],
  [[4, 37, 7], [4, 37, 19], true, false],
  [[4, 7, 37], [4, 19, 37], false, true],
  [[4, 7, 3], [3, 33], false, false], // one B for the whole batch
  [[7, 3], [4, 3, 33], false, false], // one A for the whole batch
  [[1, 300], [300, 70], false, false], // a bias gradient's column sums
  [[300, 2], [300, 70], true, false],
  [[5, 9], [11, 9], false, true],
];

test("batched and few-row matmuls run on the SIMD kernels and match cpu, in every transpose", async () => {
  for (const [shapeA, shapeB, transposeA, transposeB] of products) {
    const label = `${shapeA}${transposeA ? "ᵀ" : ""} × ${shapeB}${transposeB ? "ᵀ" : ""}`;
    const [a, b] = [tf.zeros(shapeA), tf.zeros(shapeB)];
    const routed = simdMatMul(backend(), a, b, transposeA, transposeB);
    assert.ok(routed !== undefined, `${label} goes to the SIMD kernels`);
    backend().disposeData(routed.dataId);
    tf.dispose([a, b]);
    const { cpu, wasm } = await onBoth(([x, y]) => tf.matMul(x!, y!, transposeA, transposeB), [shapeA, shapeB]);
    // Sums of up to 37 products of values below 3: float32 rounding in another order.
    assertClose(wasm, cpu, 2e-5, label);
  }
});

test("the SIMD matmul declines what XNNPACK or tfjs does better or it cannot do", () => {
  const declined: Array<[number[], number[], boolean, boolean, string]> = [
    [[64, 32], [32, 48], false, false, "a single matmul of many rows (XNNPACK)"],
    [[2, 5, 3], [2, 4, 5], true, true, "both operands transposed"],
    [[2, 3, 5, 7], [3, 7, 9], false, false, "batches broadcast other than one against many"],
  ];
  for (const [shapeA, shapeB, transposeA, transposeB, reason] of declined) {
    const [a, b] = [tf.zeros(shapeA), tf.zeros(shapeB)];
    assert.equal(simdMatMul(backend(), a, b, transposeA, transposeB), undefined, reason);
    tf.dispose([a, b]);
  }
  const [a, b] = [tf.zeros([2, 3, 4], "int32"), tf.zeros([2, 4, 5], "int32")];
  assert.equal(simdMatMul(backend(), a, b, false, false), undefined, "int32 operands");
  tf.dispose([a, b]);
});

test("matrix transposes match cpu bit for bit, with ragged edges, batches and int32", async () => {
  const shapes = [
    [64, 40],
    [37, 23],
    [3, 9, 13],
    [1, 1],
    [5, 1],
    [1, 6],
    [2, 8, 8],
  ];
  for (const shape of shapes) {
    const perm = shape.map((_, axis) => axis);
    perm.splice(-2, 2, shape.length - 1, shape.length - 2);
    for (const dtype of ["float32", "int32"] as const) {
      const { cpu, wasm } = await onBoth(([x]) => tf.transpose(x!, perm), [shape], dtype);
      assert.deepEqual(wasm, cpu, `${shape} ${dtype}`);
    }
  }
  // Other permutations stay with the wasm kernel and are still right.
  const { cpu, wasm } = await onBoth(([x]) => tf.transpose(x!, [2, 0, 3, 1]), [[3, 4, 5, 6]]);
  assert.deepEqual(wasm, cpu);
});

test("the kernels keep working after the wasm heap grows, and leave no tensors behind", () => {
  const before = tf.memory().numTensors;
  const compute = () =>
    tf.tidy(() => {
      const a = tf.randomNormal([8, 4, 16, 24], 0, 1, "float32", 1);
      const b = tf.randomNormal([8, 4, 16, 24], 0, 1, "float32", 2);
      const scores = tf.matMul(a, b, false, true);
      return Array.from(tf.transpose(tf.matMul(scores, a), [0, 1, 3, 2]).dataSync());
    });
  const first = compute();
  assert.ok(simdKernels(backend()) !== undefined);
  const bytes = (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.byteLength;
  const large = tf.zeros([Math.ceil(bytes / 4) + 1_000_000]); // more than the heap holds now
  const grown = (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.byteLength;
  assert.ok(grown > bytes, "the heap grew");
  assert.deepEqual(compute(), first);
  large.dispose();
  assert.equal(tf.memory().numTensors, before);
});

test("switched off, the backend's own kernels give the same matmuls within float rounding", () => {
  const compute = () =>
    tf.tidy(() => {
      const a = tf.randomNormal([3, 2, 9, 16], 0, 1, "float32", 5);
      const b = tf.randomNormal([3, 2, 9, 16], 0, 1, "float32", 6);
      return Array.from(tf.matMul(tf.softmax(tf.matMul(a, b, false, true)), b).dataSync());
    });
  const withSimd = compute();
  useSimdKernels(false);
  try {
    assertClose(compute(), withSimd, 1e-5, "without SIMD kernels");
  } finally {
    useSimdKernels(true);
  }
});

/** erf in float64: its Taylor series below 3, the continued fraction of erfc above. */
function erf(z: number): number {
  const a = Math.abs(z);
  if (a < 3) {
    let [sum, term] = [0, a];
    for (let k = 0; k < 200 && Math.abs(term) > 1e-18; k++) {
      sum += term / (2 * k + 1);
      term *= (-a * a) / (k + 1);
    }
    return (Math.sign(z) * 2 * sum) / Math.sqrt(Math.PI);
  }
  let fraction = 0;
  for (let k = 80; k >= 1; k--) fraction = k / 2 / (a + fraction);
  return Math.sign(z) * (1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / (a + fraction));
}

test("GELU and its gradient run as one kernel each, within float32 rounding of float64's erf", () => {
  const before = tf.memory().numTensors;
  // Odd lengths exercise the one-float tail after the four-float loop.
  for (const count of [1, 2, 3, 4, 5, 7, 9, 100_003]) {
    const xs = Float32Array.from({ length: count }, (_, i) => (count === 1 ? -0.3 : -12 + (24 * i) / (count - 1)));
    const dys = Float32Array.from({ length: count }, (_, i) => 1 + (i % 7) / 8);
    const [x, dy] = [tf.tensor1d(xs), tf.tensor1d(dys)];
    const [value, gradient] = [fusedGelu(x), fusedGeluGradient(dy, x)];
    assert.ok(value !== undefined && gradient !== undefined, "float32 on wasm runs the fused kernels");
    const [values, gradients] = [value.dataSync(), gradient.dataSync()];
    xs.forEach((xi, i) => {
      const cumulative = 0.5 * (1 + erf(xi / Math.SQRT2));
      const density = Math.exp(-(xi * xi) / 2) / Math.sqrt(2 * Math.PI);
      // A&S 7.1.26's 1.5e-7 on erf is 7.5e-8 on Φ, scaled by |x| (and by dy up to 1.75 below),
      // plus the float32 rounding of a dozen operations.
      assert.ok(
        Math.abs(values[i]! - xi * cumulative) <= 3e-7 * Math.max(1, Math.abs(xi)),
        `gelu(${xi}) = ${values[i]}`,
      );
      const expected = dys[i]! * (cumulative + xi * density);
      assert.ok(
        Math.abs(gradients[i]! - expected) <= 5e-7 * Math.max(1, Math.abs(expected)),
        `gelu'(${xi}) = ${gradients[i]}, not ${expected}`,
      );
    });
    tf.dispose([x, dy, value, gradient]);
  }
  assert.equal(tf.memory().numTensors, before);
});

test("the fused GELU declines what it cannot run, and the model then builds GELU from tfjs' ops", async () => {
  const [x, other] = [tf.ones([4, 3]), tf.ones([3])];
  const integers = tf.ones([4, 3], "int32");
  assert.equal(fusedGelu(integers), undefined, "int32");
  assert.equal(fusedGeluGradient(other, x), undefined, "a broadcast dy");
  useSimdKernels(false);
  try {
    assert.equal(fusedGelu(x), undefined, "SIMD kernels switched off");
  } finally {
    useSimdKernels(true);
  }
  assert.equal(await withBackend("cpu", () => fusedGelu(tf.ones([2]))), undefined, "another backend");
  tf.dispose([x, other, integers]);
});
