import assert from "node:assert/strict";
import { test } from "node:test";
import { evaluateMse } from "../src/evaluate/mse.js";

test("MSE is the mean over all elements; sentence-transformers prints it × 100", () => {
  // Differences [0, 2, 3, 0] → squares 0 + 4 + 9 + 0 = 13 over 4 elements = 3.25.
  const metrics = evaluateMse({
    teacher: [new Float32Array([1, 2]), new Float32Array([3, 4])],
    student: [new Float32Array([1, 0]), new Float32Array([0, 4])],
  });
  assert.deepEqual(metrics, { mse: 3.25, mseTimes100: 325, count: 2, dimension: 2 });
  assert.throws(
    () => evaluateMse({ teacher: [new Float32Array(2)], student: [] }),
    /1 vectors but student embeddings has 0/,
  );
});
