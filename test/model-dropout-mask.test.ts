import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { dropoutMultiplier } from "../src/model/dropout-mask.js";
import { useBackend } from "./helpers/backends.js";

const dropped = (mask: Float32Array | Int32Array | Uint8Array) => Array.from(mask, (value) => value === 0);

/** Within five standard deviations of a binomial count. */
function assertCount(count: number, trials: number, probability: number, label: string): void {
  const sigma = Math.sqrt(trials * probability * (1 - probability));
  assert.ok(
    Math.abs(count - trials * probability) < 5 * sigma,
    `${label}: ${count} of ${trials}, expected ${trials * probability}`,
  );
}

test("a dropout mask drops at its rate, scales survivors by float32 1/(1 − rate), and is the same on wasm and js", async () => {
  const size = 100_000;
  for (const rate of [0.1, 0.5, 0.9]) {
    await useBackend("wasm");
    const onWasm = tf.tidy(() => dropoutMultiplier([size], rate, 42).dataSync());
    await useBackend("js");
    const onJs = tf.tidy(() => dropoutMultiplier([size], rate, 42).dataSync());
    assert.deepEqual(Array.from(onWasm), Array.from(onJs), `rate ${rate}: one mask on every backend`);
    const scale = Math.fround(1 / Math.fround(1 - rate));
    assert.ok(
      onWasm.every((value) => value === 0 || value === scale),
      `rate ${rate}: values are 0 or ${scale}`,
    );
    assertCount(dropped(onWasm).filter(Boolean).length, size, rate, `rate ${rate}`);
  }
  const none = tf.tidy(() => dropoutMultiplier([1000], 0, 5).dataSync());
  assert.ok(
    none.every((value) => value === 1),
    "rate 0 keeps every unit",
  );
  assert.throws(() => dropoutMultiplier([4], 1, 5), /dropout rate must be in \[0, 1\)/);
});

test("masks of neighbouring seeds and neighbouring units are independent", async () => {
  await useBackend("wasm");
  const size = 100_000;
  const rate = 0.3;
  // Seeds come one after another from a run's generator; their masks must not overlap more than chance.
  const [first, second] = [7, 8].map((seed) =>
    tf.tidy(() => dropped(dropoutMultiplier([size], rate, seed).dataSync())),
  );
  assertCount(
    first!.filter((value, index) => value && second![index]).length,
    size,
    rate * rate,
    "seeds 7 and 8 drop together",
  );
  assertCount(
    first!.slice(1).filter((value, index) => value && first![index]).length,
    size - 1,
    rate * rate,
    "unit and next unit",
  );
  const shape = tf.tidy(() => Array.from(dropoutMultiplier([2, 3, 4], rate, 7).dataSync()));
  const flat = tf.tidy(() => Array.from(dropoutMultiplier([24], rate, 7).dataSync()));
  assert.deepEqual(shape, flat, "a mask depends on the seed and the size only");
});
