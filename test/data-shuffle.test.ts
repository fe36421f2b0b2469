import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  batches,
  heldOutIndices,
  isHeldOut,
  shuffleStream,
  shuffled,
  splitHeldOut,
  streamPart,
} from "../src/data/shuffle.js";
import { BabelbedError } from "../src/util/errors.js";

const numbers = (count: number) => Array.from({ length: count }, (_, index) => index);

async function collect<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const result: T[] = [];
  for await (const row of rows) result.push(row);
  return result;
}

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);

describe("shuffling", () => {
  test("shuffled: a permutation, the same for the same seed, different for another", () => {
    const items = numbers(100);
    const first = shuffled(items, 42);
    assert.deepEqual(sorted(first), items);
    assert.deepEqual(shuffled(items, 42), first);
    assert.notDeepEqual(shuffled(items, 43), first);
    assert.notDeepEqual(first, items);
    assert.deepEqual(items, numbers(100), "the input is left alone");
  });

  test("shuffleStream: a deterministic permutation through a bounded buffer", async () => {
    const first = await collect(shuffleStream(numbers(1000), { seed: 7, bufferSize: 64 }));
    assert.deepEqual(sorted(first), numbers(1000));
    assert.deepEqual(await collect(shuffleStream(numbers(1000), { seed: 7, bufferSize: 64 })), first);
    assert.notDeepEqual(first, numbers(1000));
    // With a buffer of 64 the first output can only be one of the first 65 inputs.
    assert.ok(first[0]! <= 64);
    await assert.rejects(collect(shuffleStream(numbers(3), { seed: 1, bufferSize: 0 })), BabelbedError);
  });
});

describe("held-out splits", () => {
  test("splitHeldOut: exact size, disjoint, complete, order kept, seeded", () => {
    const items = numbers(1000);
    const { train, heldOut } = splitHeldOut(items, { heldOut: 0.1, seed: 3 });
    assert.equal(heldOut.length, 100);
    assert.equal(train.length, 900);
    assert.deepEqual(sorted([...train, ...heldOut]), items);
    assert.deepEqual(heldOut, sorted(heldOut));
    assert.deepEqual(splitHeldOut(items, { heldOut: 0.1, seed: 3 }).heldOut, heldOut);
    assert.equal(splitHeldOut(items, { heldOut: 250, seed: 3 }).heldOut.length, 250);
    assert.throws(() => splitHeldOut(items, { heldOut: 1000, seed: 3 }), BabelbedError);
    assert.throws(() => splitHeldOut(items, { heldOut: 1.5, seed: 3 }), BabelbedError);
  });

  test("heldOutIndices: a uniform sample of distinct indices, without holding the rows", () => {
    // Each of 10 indices is held out in 3 of 10 draws on average: over 20,000 seeds every count lies near 6,000.
    const counts = new Array<number>(10).fill(0);
    for (let seed = 0; seed < 20_000; seed++) {
      const chosen = heldOutIndices(10, { heldOut: 3, seed });
      assert.equal(chosen.size, 3);
      for (const index of chosen) counts[index]! += 1;
    }
    for (const count of counts) assert.ok(Math.abs(count - 6000) < 300, `counts ${counts.join(", ")}`);
    // A billion rows cost no more than the five held out.
    const sample = heldOutIndices(1e9, { heldOut: 5, seed: 1 });
    assert.equal(sample.size, 5);
    for (const index of sample) assert.ok(Number.isInteger(index) && index >= 0 && index < 1e9);
    assert.notDeepEqual(
      [...heldOutIndices(1000, { heldOut: 10, seed: 1 })],
      [...heldOutIndices(1000, { heldOut: 10, seed: 2 })],
    );
  });

  test("streamPart: two passes over a stream give complementary parts", async () => {
    const options = { fraction: 0.2, seed: 11 };
    const train = await collect(streamPart(numbers(5000), { ...options, part: "train" }));
    const heldOut = await collect(streamPart(numbers(5000), { ...options, part: "held-out" }));
    assert.deepEqual(sorted([...train, ...heldOut]), numbers(5000));
    assert.ok(heldOut.length > 900 && heldOut.length < 1100, `held out ${heldOut.length} of 5000 at 0.2`);
    assert.equal(isHeldOut(1234, options), heldOut.includes(1234));
    const otherSeed = await collect(streamPart(numbers(5000), { fraction: 0.2, seed: 12, part: "held-out" }));
    assert.notDeepEqual(otherSeed, heldOut);
  });
});

describe("batches", () => {
  test("groups rows, keeping or dropping the short last batch", async () => {
    assert.deepEqual(await collect(batches(numbers(7), 3)), [[0, 1, 2], [3, 4, 5], [6]]);
    assert.deepEqual(await collect(batches(numbers(7), 3, { dropLast: true })), [
      [0, 1, 2],
      [3, 4, 5],
    ]);
    await assert.rejects(collect(batches(numbers(3), 0)), BabelbedError);
  });
});
