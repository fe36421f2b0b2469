import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import { registeredKernels } from "../src/device/index.js";
import { useBackend } from "./helpers/backends.js";

const cases: [number[], number[], boolean, boolean][] = [
  [[5, 3], [3, 4], false, false],
  [[3, 5], [3, 4], true, false],
  [[5, 3], [4, 3], false, true],
  [[3, 5], [4, 3], true, true],
  [[2, 3, 6, 5], [2, 3, 7, 5], false, true],
  [[2, 6, 5], [2, 6, 7], true, false],
];

test("wasm BatchMatMul with transposed operands (patched onto the fast path) equals the js backend", async () => {
  await useBackend("wasm");
  assert.ok(registeredKernels().includes("BatchMatMul"));
  for (const [shapeA, shapeB, transposeA, transposeB] of cases) {
    const a = tf.randomNormal(shapeA, 0, 1, "float32", 1);
    const b = tf.randomNormal(shapeB, 0, 1, "float32", 2);
    const valuesA = a.arraySync();
    const valuesB = b.arraySync();
    const before = tf.memory().numTensors;
    const wasm = tf.matMul(a, b, transposeA, transposeB);
    const wasmValues = Array.from(wasm.dataSync());
    wasm.dispose();
    assert.equal(tf.memory().numTensors, before, "the intermediate transposes are released");
    tf.dispose([a, b]);
    await useBackend("js");
    const reference = tf.tidy(() =>
      Array.from(
        tf.matMul(tf.tensor(valuesA as number[]), tf.tensor(valuesB as number[]), transposeA, transposeB).dataSync(),
      ),
    );
    await useBackend("wasm");
    wasmValues.forEach((value, index) =>
      assert.ok(
        Math.abs(value - reference[index]!) < 1e-5,
        `${shapeA}×${shapeB} ${transposeA}/${transposeB} [${index}]`,
      ),
    );
  }
});
