import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import { pool, poolingModes, type PoolingMode } from "../src/model/pooling.js";
import { useBackend } from "./helpers/backends.js";

// Two sentences of 3 tokens, hidden 2; the second has one padding token, which no mode may read.
const hidden = [
  [
    [1, -2],
    [3, 4],
    [-5, 6],
  ],
  [
    [2, 0],
    [-1, 8],
    [100, -100],
  ],
];
const mask = [
  [1, 1, 1],
  [1, 1, 0],
];

const expected: Record<PoolingMode, number[][]> = {
  cls: [
    [1, -2],
    [2, 0],
  ],
  max: [
    [3, 6],
    [2, 8],
  ],
  mean: [
    [-1 / 3, 8 / 3],
    [0.5, 4],
  ],
  mean_sqrt_len_tokens: [
    [-1 / Math.sqrt(3), 8 / Math.sqrt(3)],
    [1 / Math.sqrt(2), 8 / Math.sqrt(2)],
  ],
  // Token i (from 1) weighs i.
  weightedmean: [
    [(1 + 6 - 15) / 6, (-2 + 8 + 18) / 6],
    [(2 - 2) / 3, 16 / 3],
  ],
  lasttoken: [
    [-5, 6],
    [-1, 8],
  ],
};

test("each pooling mode gives sentence-transformers' formula and never reads padding", async () => {
  await useBackend("js");
  const h = tf.tensor3d(hidden);
  const m = tf.tensor2d(mask, undefined, "int32");
  for (const mode of poolingModes) {
    const pooled = pool(h, m, mode);
    const values = pooled.arraySync();
    values.forEach((row, i) =>
      row.forEach((value, j) =>
        assert.ok(Math.abs(value - expected[mode][i]![j]!) < 1e-6, `${mode}[${i}][${j}] ${value}`),
      ),
    );
    pooled.dispose();
  }
  const concatenated = pool(h, m, ["lasttoken", "cls"]);
  assert.deepEqual(
    concatenated.arraySync(),
    [
      [-5, 6, 1, -2],
      [-1, 8, 2, 0],
    ],
    "concatenated in the listed order",
  );
  tf.dispose([h, m, concatenated]);
});

test("pooling gradients agree with finite differences for every mode and their concatenation", async () => {
  await useBackend("js");
  const m = tf.tensor2d(mask, undefined, "int32");
  const h = tf.tensor3d(hidden).div(10) as tf.Tensor3D;
  for (const pooling of [...poolingModes.map((mode) => [mode]), [...poolingModes]] as PoolingMode[][]) {
    const width = 2 * pooling.length;
    const weights = tf.tensor2d(
      Array.from({ length: 2 * width }, (_, index) => Math.cos(index + 1)),
      [2, width],
    );
    const loss = (x: tf.Tensor) => tf.sum(tf.mul(pool(x as tf.Tensor3D, m, pooling), weights)) as tf.Scalar;
    const analytic = tf.grad(loss)(h).dataSync();
    const base = h.dataSync();
    const step = 1e-2;
    for (let index = 0; index < base.length; index++) {
      const shifted = (delta: number) =>
        tf.tidy(() => {
          const values = Float32Array.from(base);
          values[index]! += delta;
          return loss(tf.tensor3d(values, h.shape)).dataSync()[0]!;
        });
      const numeric = (shifted(step) - shifted(-step)) / (2 * step);
      assert.ok(
        Math.abs(numeric - analytic[index]!) < 2e-3,
        `${pooling.join("+")} d/dh[${index}]: ${analytic[index]} vs ${numeric}`,
      );
    }
    weights.dispose();
  }
  tf.dispose([h, m]);
});
