import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { evaluateBitextMining, mineBitext, optimizeThreshold, type MinedPair } from "../src/evaluate/mining.js";
import { Random } from "../src/util/random.js";

const close = (actual: number, expected: number, tolerance = 1e-6) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} is not within ${tolerance} of ${expected}`);

// Sources are the unit vectors e1, e2, e3 of a 4-dimensional space, and target j is column j
// of `cosines` topped up to unit length in the 4th dimension, so cos(source i, target j) is
// exactly cosines[i][j]. Target 1 is a "hub", equally close to every source.
const cosines = [
  [0.5, 0.55, 0.1],
  [0.1, 0.55, 0.7],
  [0.3, 0.55, 0.6],
];
const sources = [0, 1, 2].map((i) => Float32Array.from([0, 1, 2, 3], (d) => (d === i ? 1 : 0)));
const targets = [0, 1, 2].map((j) => {
  const column = cosines.map((row) => row[j]!);
  return Float32Array.from([...column, Math.sqrt(1 - column.reduce((sum, value) => sum + value * value, 0))]);
});

// With k = 2 the neighbourhood means are, for sources, the mean of each row's two largest
// cosines: s0 (.55 + .5)/2 = .525, s1 (.7 + .55)/2 = .625, s2 (.6 + .55)/2 = .575; for targets,
// of each column's: t0 (.5 + .3)/2 = .4, t1 .55, t2 (.7 + .6)/2 = .65. The ratio margin is
// cos / ((mean_source + mean_target) / 2):
const ratio = (i: number, j: number) => {
  const sourceMeans = [0.525, 0.625, 0.575];
  const targetMeans = [0.4, 0.55, 0.65];
  return cosines[i]![j]! / ((sourceMeans[i]! + targetMeans[j]!) / 2);
};

describe("margin-based mining (Artetxe & Schwenk 2019)", () => {
  test("the ratio margin overrules the bare cosine for a hub, by hand", () => {
    // Forward: s0's two nearest are t1 (.55) and t0 (.5), but ratio(0,0) = .5/.4625 = 1.0811 beats
    // ratio(0,1) = .55/.5375 = 1.0233. s1 → t2 (1.0980 vs .9362). s2 → t2 (.9796 vs .9778).
    // Backward: t0 → s0; t1's nearest tie at .55, the lowest indices s0, s1 are kept → s0
    // (1.0233 vs .9362); t2 → s1 (1.0980 vs .9796).
    const forward = mineBitext(sources, targets, { k: 2, mode: "forward" });
    assert.deepEqual(
      forward.map((pair) => [pair.source, pair.target]),
      [
        [1, 2],
        [0, 0],
        [2, 2],
      ],
    );
    close(forward[0]!.score, ratio(1, 2));
    close(forward[1]!.score, ratio(0, 0));
    close(forward[2]!.score, ratio(2, 2));
    close(forward[1]!.cosine, 0.5);
    const backward = mineBitext(sources, targets, { k: 2, mode: "backward" });
    assert.deepEqual(
      backward.map((pair) => [pair.source, pair.target]),
      [
        [1, 2],
        [0, 0],
        [0, 1],
      ],
    );
    close(backward[2]!.score, ratio(0, 1));
    const intersection = mineBitext(sources, targets, { k: 2, mode: "intersection" });
    assert.deepEqual(
      intersection.map((pair) => [pair.source, pair.target]),
      [
        [1, 2],
        [0, 0],
      ],
    );
    // Without a margin, s0 takes the hub.
    const bare = mineBitext(sources, targets, { k: 2, mode: "forward", margin: "absolute" });
    assert.deepEqual(bare.find((pair) => pair.source === 0)?.target, 1);
  });

  test("BUCC scoring: the threshold that maximizes F1 on gold, by hand", () => {
    // Union candidates by score: (1,2) 1.0980, (0,0) 1.0811, (0,1) 1.0233, (2,2) .9796.
    // Gold {(0,0), (1,2), (2,1)}: after 1 → F1 .5; after 2 → P 1, R 2/3, F1 .8 (best);
    // after 3 → F1 2/3; after 4 → F1 4/7. The threshold lies halfway between the 2nd and 3rd.
    const metrics = evaluateBitextMining({
      source: sources,
      target: targets,
      k: 2,
      gold: [
        [0, 0],
        [1, 2],
        [2, 1],
      ],
    });
    assert.equal(metrics.candidates, 4);
    assert.deepEqual([metrics.accepted, metrics.correct, metrics.gold, metrics.precision], [2, 2, 3, 1]);
    close(metrics.recall, 2 / 3, 1e-12);
    close(metrics.f1, 0.8, 1e-12);
    close(metrics.threshold, (ratio(0, 0) + ratio(0, 1)) / 2);
    assert.deepEqual([metrics.k, metrics.margin, metrics.mode], [2, "ratio", "union"]);
  });

  test("equal scores are accepted or rejected together", () => {
    const pair = (source: number, target: number, score: number): MinedPair => ({
      source,
      target,
      score,
      cosine: score,
    });
    const candidates = [pair(0, 0, 2), pair(1, 5, 1), pair(2, 2, 1), pair(3, 3, 0.5)];
    const result = optimizeThreshold(candidates, [
      [0, 0],
      [2, 2],
      [3, 3],
    ]);
    // Cut after score 2: P 1, R 1/3, F1 .5. After both 1s: P 2/3, R 2/3, F1 2/3. After .5: P 3/4, R 1, F1 6/7.
    close(result.f1, 6 / 7, 1e-12);
    assert.equal(result.threshold, 0.5);
    const none = optimizeThreshold([pair(0, 1, 3)], [[0, 0]]);
    assert.deepEqual([none.f1, none.threshold], [0, Number.POSITIVE_INFINITY]);
  });

  test("aligned pairs among distractors are all found; k is capped at the set size", () => {
    const random = new Random(4);
    const source = Array.from({ length: 300 }, () => Float32Array.from({ length: 24 }, () => random.normal()));
    const target = source.slice(0, 200).map((vector) => vector.map((value) => value + 0.2 * random.normal()));
    // 100 sources have no translation; gold pairs are the first 200 by row.
    const gold = Array.from({ length: 200 }, (_, index) => [index, index] as const);
    const metrics = evaluateBitextMining({ source, target, gold, blockSize: 50 });
    assert.equal(metrics.f1, 1);
    const tiny = evaluateBitextMining({
      source: source.slice(0, 2),
      target: target.slice(0, 2),
      gold: [
        [0, 0],
        [1, 1],
      ],
    });
    assert.equal(tiny.f1, 1);
    assert.throws(
      () => evaluateBitextMining({ source, target, gold: [[0, 200]] }),
      /outside 300 sources × 200 targets/,
    );
  });
});
