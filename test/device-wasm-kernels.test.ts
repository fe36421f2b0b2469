import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { registeredKernels, selectDevice, withBackend } from "../src/device/index.js";

/** Deterministic inputs (mulberry32), so a failure reproduces. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

function uniform(shape: number[], seed: number, low = -2, high = 2): tf.Tensor {
  const next = generator(seed);
  const size = shape.reduce((product, dimension) => product * dimension, 1);
  return tf.tensor(
    Array.from({ length: size }, () => low + (high - low) * next()),
    shape,
    "float32",
  );
}

function integers(shape: number[], seed: number, low: number, high: number): tf.Tensor {
  const next = generator(seed);
  const size = shape.reduce((product, dimension) => product * dimension, 1);
  return tf.tensor(
    Array.from({ length: size }, () => low + Math.floor((high - low) * next())),
    shape,
    "int32",
  );
}

function booleans(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(Array.from(integers(shape, seed, 0, 2).dataSync()).map(Boolean), shape, "bool");
}

interface Result {
  shape: number[];
  dtype: tf.DataType;
  values: number[];
}

/** Run `compute` on a backend and read every output back as plain numbers. */
async function runOn(backend: string, compute: () => tf.Tensor | tf.Tensor[]): Promise<Result[]> {
  return withBackend(backend, () => {
    const outputs = tf.tidy(compute);
    const list = Array.isArray(outputs) ? outputs : [outputs];
    const results = list.map((tensor) => ({
      shape: tensor.shape,
      dtype: tensor.dtype,
      values: Array.from(tensor.dataSync() as Float32Array),
    }));
    tf.dispose(list);
    return results;
  });
}

/** Compare wasm with js: same shapes and dtypes, values within `tolerance` (relative above 1). */
async function assertMatchesJs(
  compute: () => tf.Tensor | tf.Tensor[],
  tolerance = 0,
  options: { ignoreDtype?: boolean } = {},
): Promise<void> {
  const expected = await runOn("cpu", compute);
  const actual = await runOn("wasm", compute);
  assert.equal(actual.length, expected.length);
  expected.forEach((reference, output) => {
    const result = actual[output];
    assert.deepEqual(result.shape, reference.shape, `output ${output} shape`);
    if (!options.ignoreDtype) assert.equal(result.dtype, reference.dtype, `output ${output} dtype`);
    reference.values.forEach((value, index) => {
      const got = result.values[index];
      if (Number.isNaN(value))
        return assert.ok(Number.isNaN(got), `output ${output}[${index}]: expected NaN, got ${got}`);
      const difference = Math.abs(got - value) / Math.max(1, Math.abs(value));
      assert.ok(difference <= tolerance, `output ${output}[${index}]: wasm ${got}, js ${value}`);
    });
  });
}

before(async () => {
  await selectDevice("wasm");
});

test("babelbed registers exactly the kernels tested here (Slice and GatherV2 below, BatchMatMul in device-matmul.test.ts and device-simd-kernels.test.ts, Transpose and the two GELU kernels there too, Identity in device-wasm-identity.test.ts)", () => {
  assert.deepEqual(registeredKernels(), [
    "BabelbedGelu",
    "BabelbedGeluGradient",
    "BatchMatMul",
    "Cast",
    "ClipByValue",
    "Einsum",
    "GatherV2",
    "Identity",
    "OneHot",
    "Reverse",
    "Select",
    "Slice",
    "StridedSlice",
    "Transpose",
    "UnsortedSegmentSum",
  ]);
});

test("Slice matches js for contiguous runs (copied from the heap) and strided ones, in every dtype", async () => {
  for (const [begin, size] of [
    [
      [1, 0, 0],
      [2, 4, 5],
    ],
    [
      [0, 2, 0],
      [3, 1, 5],
    ],
    [
      [0, 1, 2],
      [3, 2, 3],
    ],
    [
      [2, 3, 4],
      [1, 1, 1],
    ],
  ] as const) {
    await assertMatchesJs(() => tf.slice(uniform([3, 4, 5], 21), [...begin], [...size]));
    await assertMatchesJs(() => tf.slice(integers([3, 4, 5], 22, -9, 9), [...begin], [...size]));
    await assertMatchesJs(() => tf.slice(booleans([3, 4, 5], 23), [...begin], [...size]));
  }
  await assertMatchesJs(() => tf.split(uniform([6, 4], 24), 3, 0));
  await assertMatchesJs(() => tf.split(uniform([6, 4], 25), 2, 1));
});

test("GatherV2 matches js for rows of any rank and dtype, other axes, and rejects ids out of range", async () => {
  const rows = tf.tensor2d(
    [
      [4, 0],
      [2, 2],
      [0, 3],
    ],
    [3, 2],
    "int32",
  );
  await assertMatchesJs(() => tf.gather(uniform([5, 3, 2], 31), rows));
  await assertMatchesJs(() => tf.gather(integers([5, 4], 32, -9, 9), tf.tensor1d([1, 1, 4, 0], "int32")));
  await assertMatchesJs(() => tf.gather(booleans([5, 4], 33), tf.tensor1d([3, 0], "int32")));
  await assertMatchesJs(() => tf.gather(uniform([5, 4], 34), tf.tensor1d([3, 0, 3], "int32"), 1));
  await assertMatchesJs(() => tf.gather(uniform([5], 35), tf.tensor1d([], "int32")));
  await withBackend("wasm", () =>
    assert.throws(() => tf.gather(uniform([5, 2], 36), tf.tensor1d([5], "int32")), /index value 5 is not in \[0, 4\]/),
  );
});

test("UnsortedSegmentSum matches js exactly, including dropped and repeated ids", async () => {
  const ids = tf.tensor1d([3, 0, 3, -1, 7, 3, 1, 9, 0, 3], "int32");
  await assertMatchesJs(() => tf.unsortedSegmentSum(uniform([10, 6], 1), ids, 8));
  await assertMatchesJs(() => tf.unsortedSegmentSum(uniform([10], 2), ids, 5));
  await assertMatchesJs(() =>
    tf.unsortedSegmentSum(uniform([2000, 3], 5, -1e3, 1e3), integers([2000], 6, 0, 40) as tf.Tensor1D, 40),
  );
  // js cannot broadcast ids that cover two axes of x, so compare with js on the flattened rows.
  // (tfjs types segmentIds as 1-D; the kernel, like TensorFlow, takes any prefix of x.shape.)
  const [wide] = await runOn("wasm", () =>
    tf.unsortedSegmentSum(uniform([3, 4, 5], 3), integers([3, 4], 4, 0, 6) as tf.Tensor1D, 6),
  );
  const [flat] = await runOn("cpu", () =>
    tf.unsortedSegmentSum(uniform([12, 5], 3), integers([12], 4, 0, 6) as tf.Tensor1D, 6),
  );
  assert.deepEqual(wide, flat);
  // js returns float32 for int32 x; wasm keeps x's dtype, as TensorFlow does.
  await assertMatchesJs(
    () => tf.unsortedSegmentSum(integers([6, 2], 7, -50, 50), tf.tensor1d([1, 1, 0, 2, 1, 0], "int32"), 3),
    0,
    { ignoreDtype: true },
  );
});

test("the gather gradient (embedding lookup) matches js on wasm", async () => {
  const table = uniform([20, 8], 11);
  const upstream = uniform([4, 5, 8], 12);
  const tokens = integers([4, 5], 13, 0, 20);
  await assertMatchesJs(() => tf.grad((x: tf.Tensor) => tf.gather(x, tokens).mul(upstream).sum())(table));
  await assertMatchesJs(() =>
    tf.grad((x: tf.Tensor) =>
      tf
        .gather(x, tf.tensor1d([2, 0, 2], "int32"), 1)
        .square()
        .sum(),
    )(uniform([3, 4, 2], 14)),
  );
  await assertMatchesJs(() =>
    tf.grad((x: tf.Tensor) =>
      tf
        .gather(
          x,
          tf.tensor2d(
            [
              [1, 1],
              [0, 2],
            ],
            [2, 2],
            "int32",
          ),
          1,
          1,
        )
        .square()
        .sum(),
    )(uniform([2, 3, 4], 15)),
  );
});

test("Einsum matches js", async () => {
  const cases: Array<[string, number[][]]> = [
    [
      "ij,jk->ik",
      [
        [3, 4],
        [4, 5],
      ],
    ],
    [
      "bij,bjk->bik",
      [
        [2, 3, 4],
        [2, 4, 5],
      ],
    ],
    [
      "bhqd,bhkd->bhqk",
      [
        [2, 2, 3, 4],
        [2, 2, 5, 4],
      ],
    ],
    ["ij->ji", [[3, 4]]],
    ["ij->", [[3, 4]]],
    ["i,i->", [[6], [6]]],
    ["i,j->ij", [[3], [4]]],
    [
      "ij,ij->i",
      [
        [3, 4],
        [3, 4],
      ],
    ],
    ["ij->ij", [[2, 3]]],
  ];
  for (const [equation, shapes] of cases) {
    await assertMatchesJs(() => tf.einsum(equation, ...shapes.map((shape, index) => uniform(shape, 20 + index))), 1e-6);
  }
});

test("Cast to bool is 'not zero' on wasm, as on js", async () => {
  const awkward = tf.tensor1d([0, -0, 0.5, -0.5, 2.7, -2.7, 256, -256, NaN, Infinity, 1e-30]);
  await assertMatchesJs(() => [tf.cast(awkward, "bool"), tf.cast(uniform([4, 5], 30), "bool")]);
  await assertMatchesJs(() => tf.cast(tf.tensor1d([0, 1, -1, 256, 512, -65536], "int32"), "bool"));
  // Casts the wasm kernel still handles.
  await assertMatchesJs(() => [
    tf.cast(uniform([7], 31, -5, 5), "int32"),
    tf.cast(booleans([5], 32), "float32"),
    tf.cast(booleans([5], 33), "int32"),
  ]);
});

test("OneHot matches js for every dtype, with custom values and out-of-range indices", async () => {
  const indices = tf.tensor2d(
    [
      [0, 3, -1],
      [5, 2, 2],
    ],
    [2, 3],
    "int32",
  );
  for (const dtype of ["float32", "int32", "bool"] as const) {
    await assertMatchesJs(() => tf.oneHot(indices, 4, 1, 0, dtype));
  }
  await assertMatchesJs(() => tf.oneHot(indices, 4, 0.9, 0.025, "float32"));
  await assertMatchesJs(() => tf.oneHot(indices, 4, 5, -1, "int32"));
});

test("ClipByValue matches js for int32 (fractional bounds truncate) and float32", async () => {
  const values = integers([30], 40, -10, 10);
  await assertMatchesJs(() => [tf.clipByValue(values, -3, 4), tf.clipByValue(values, -2.5, 3.5)]);
  await assertMatchesJs(() => tf.clipByValue(uniform([30], 41), -0.5, 0.75));
});

test("Select (tf.where) matches js with bool, int32 and float32 branches", async () => {
  const condition = booleans([3, 4], 50);
  await assertMatchesJs(() => tf.where(condition, booleans([3, 4], 51), booleans([3, 4], 52)));
  await assertMatchesJs(() => tf.where(booleans([1, 4], 53), booleans([3, 4], 54), booleans([3, 4], 55)));
  await assertMatchesJs(() => tf.where(condition, integers([3, 4], 56, -9, 9), integers([3, 4], 57, -9, 9)));
  await assertMatchesJs(() => tf.where(condition, uniform([3, 4], 58), uniform([3, 4], 59)));
});

test("Select kernel with one condition entry per row matches the per-element result", async () => {
  const rows = tf.tensor1d([true, false, true], "bool");
  const whenTrue = booleans([3, 4], 60);
  const whenFalse = booleans([3, 4], 61);
  const expanded = tf.tile(rows.reshape([3, 1]), [1, 4]);
  const [direct] = await runOn(
    "wasm",
    () => tf.engine().runKernel(tf.Select, { condition: rows, t: whenTrue, e: whenFalse }) as tf.Tensor,
  );
  const [reference] = await runOn("cpu", () => tf.where(expanded, whenTrue, whenFalse));
  assert.deepEqual(direct.values, reference.values);
});

test("Reverse matches js for bool and float32", async () => {
  await assertMatchesJs(() => [
    tf.reverse(booleans([2, 3, 4], 70), [0, 2]),
    tf.reverse(booleans([5], 71)),
    tf.reverse(booleans([2, 3], 72), 1),
  ]);
  await assertMatchesJs(() => tf.reverse(uniform([2, 3, 4], 73), [1]));
});

test("StridedSlice matches js for every dtype when no axis shrinks", async () => {
  const makers = {
    float32: (seed: number) => uniform([3, 4, 5], seed),
    int32: (seed: number) => integers([3, 4, 5], seed, -99, 99),
    bool: (seed: number) => booleans([3, 4, 5], seed),
  };
  for (const make of Object.values(makers)) {
    await assertMatchesJs(() => [
      tf.stridedSlice(make(80), [0, 1, 0], [3, 4, 5], [1, 2, 2]),
      tf.stridedSlice(make(81), [2, 3, 4], [0, 0, 0], [-1, -2, -3]),
      tf.stridedSlice(make(82), [1, 0, 1], [3, 4, 4], [1, 1, 1]),
      tf.stridedSlice(make(83), [0, 0], [2, 4], [1, 3], 0, 0, 0, 1),
    ]);
  }
});

test("StridedSlice with a shrink axis gives TensorFlow's result on wasm (js gets it wrong)", async () => {
  // x[0:3:2, 1, 0:5:2] of x = range(60) reshaped [3, 4, 5].
  const expected = [5, 7, 9, 45, 47, 49];
  for (const dtype of ["float32", "int32"] as const) {
    const [result] = await runOn("wasm", () =>
      tf.stridedSlice(tf.range(0, 60, 1, dtype).reshape([3, 4, 5]), [0, 1, 0], [3, 2, 5], [2, 1, 2], 0, 0, 0, 0, 2),
    );
    assert.deepEqual(result.shape, [2, 3]);
    assert.equal(result.dtype, dtype);
    assert.deepEqual(result.values, expected);
  }
  const [mask] = await runOn("wasm", () =>
    tf.stridedSlice(tf.range(0, 60).reshape([3, 4, 5]).greater(45), [0, 1, 0], [3, 2, 5], [2, 1, 2], 0, 0, 0, 0, 2),
  );
  assert.deepEqual(
    mask.values,
    expected.map((value) => Number(value > 45)),
  );
});

test("the ops that used to overrun bool buffers leave the wasm heap intact", async () => {
  await withBackend("wasm", () => {
    for (let round = 0; round < 200; round++) {
      tf.tidy(() => {
        const mask = booleans([64], round);
        tf.where(mask, mask, tf.logicalNot(mask)).dataSync();
        tf.reverse(mask).dataSync();
        tf.oneHot(tf.tensor1d([round % 64], "int32"), 64, 1, 0, "bool").dataSync();
      });
    }
    const product = tf.tidy(
      () =>
        tf
          .matMul(tf.ones([64, 64]), tf.ones([64, 64]))
          .sum()
          .dataSync()[0],
    );
    assert.equal(product, 64 * 64 * 64);
  });
});
