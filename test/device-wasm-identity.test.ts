import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "./helpers/backends.js";

/** Calls of the wasm backend's malloc while `run` runs. */
function mallocs(run: () => void): number {
  const module = (tf.backend() as unknown as { wasm: { _malloc(bytes: number): number } }).wasm;
  const malloc = module._malloc;
  let calls = 0;
  module._malloc = (bytes: number) => {
    calls += 1;
    return malloc(bytes);
  };
  try {
    run();
  } finally {
    module._malloc = malloc;
  }
  return calls;
}

test("wasm Identity shares its input's buffer, and the values outlive either tensor", async () => {
  await useBackend("wasm");
  const original = tf.tensor1d([1, 2, 3, 4]);
  let copy: tf.Tensor | undefined;
  assert.equal(
    mallocs(() => (copy = tf.clone(original))),
    0,
  );
  original.dispose();
  assert.deepEqual(Array.from(copy!.dataSync()), [1, 2, 3, 4]);
  const flags = tf.tensor1d([true, false, true], "bool");
  const flagsCopy = tf.clone(flags);
  flags.dispose();
  assert.deepEqual(Array.from(flagsCopy.dataSync()), [1, 0, 1]);
  tf.dispose([copy!, flagsCopy]);
});

test("a variable assigned after a clone leaves the clone as it was", async () => {
  await useBackend("wasm");
  const before = tf.memory().numTensors;
  const initial = tf.tensor1d([1, 2]);
  const next = tf.tensor1d([5, 6]);
  const variable = tf.variable(initial);
  const snapshot = tf.clone(variable);
  variable.assign(next);
  assert.deepEqual(Array.from(snapshot.dataSync()), [1, 2]);
  assert.deepEqual(Array.from(variable.dataSync()), [5, 6]);
  // A gradient that keeps inputs through Identity still matches the analytic one.
  const gradient = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(x, x)))(snapshot);
  assert.deepEqual(Array.from(gradient.dataSync()), [2, 4]);
  tf.dispose([initial, next, variable, snapshot, gradient]);
  assert.equal(tf.memory().numTensors, before);
});
