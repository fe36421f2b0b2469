import assert from "node:assert/strict";
import { test } from "node:test";
import { alignmentUniformity, indexScoredPairs } from "../src/evaluate/alignment-uniformity.js";

// Six sentences' vectors and STS-style pairs scored 0–5.
const vectors = [
  [0.9, 0.1, -0.3, 0.2],
  [1.0, 0.2, -0.1, 0.0],
  [-0.5, 0.8, 0.4, 0.1],
  [-0.4, 0.9, 0.2, 0.3],
  [0.1, -0.2, 1.1, -0.6],
  [0.3, 0.3, 0.3, 2.0],
];
const pairs = [
  { first: 0, second: 1, score: 4.6 },
  { first: 2, second: 3, score: 4.0 },
  { first: 4, second: 5, score: 1.2 },
  { first: 0, second: 2, score: 3.9 },
  { first: 1, second: 4, score: 0 },
];

/** The metrics written out plainly, from the definitions, with no shared code. */
function plain(points: number[][], scored: typeof pairs, threshold: number) {
  const unit = points.map((v) => {
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
  const distance2 = (a: number[], b: number[]) => a.reduce((s, x, k) => s + (x - b[k]!) ** 2, 0);
  const positives = scored.filter((pair) => pair.score >= threshold);
  const alignment =
    positives.reduce((s, pair) => s + distance2(unit[pair.first]!, unit[pair.second]!), 0) / positives.length;
  const kernels: number[] = [];
  const cosines: number[] = [];
  for (let i = 0; i < unit.length; i++) {
    for (let j = 0; j < i; j++) {
      kernels.push(Math.exp(-2 * distance2(unit[i]!, unit[j]!)));
      cosines.push(unit[i]!.reduce((s, x, k) => s + x * unit[j]![k]!, 0));
    }
  }
  const mean = (values: number[]) => values.reduce((s, x) => s + x, 0) / values.length;
  return { alignment, uniformity: Math.log(mean(kernels)), anisotropy: mean(cosines) };
}

test("alignment, uniformity and anisotropy equal a plain computation from the definitions", () => {
  const metrics = alignmentUniformity(
    vectors.map((v) => Float32Array.from(v)),
    pairs,
  );
  const expected = plain(
    vectors.map((v) => Array.from(Float32Array.from(v))),
    pairs,
    4,
  );
  assert.equal(metrics.positivePairs, 2);
  assert.equal(metrics.sentences, 6);
  for (const name of ["alignment", "uniformity", "anisotropy"] as const) {
    assert.ok(Math.abs(metrics[name] - expected[name]) < 1e-12, `${name}: ${metrics[name]} vs ${expected[name]}`);
  }
  const looser = alignmentUniformity(
    vectors.map((v) => Float32Array.from(v)),
    pairs,
    { threshold: 3.5 },
  );
  assert.equal(looser.positivePairs, 3);
  assert.ok(
    Math.abs(
      looser.alignment -
        plain(
          vectors.map((v) => Array.from(Float32Array.from(v))),
          pairs,
          3.5,
        ).alignment,
    ) < 1e-12,
  );
});

test("known values: orthogonal vectors are uniform at −4 with anisotropy 0; one repeated direction is collapsed", () => {
  const orthogonal = [
    [2, 0, 0],
    [0, 0.5, 0],
    [0, 0, 3],
  ].map((v) => Float32Array.from(v));
  const spread = alignmentUniformity(orthogonal, [{ first: 0, second: 0, score: 5 }]);
  assert.equal(spread.alignment, 0);
  assert.ok(Math.abs(spread.uniformity - -4) < 1e-12, `uniformity ${spread.uniformity}`);
  assert.ok(Math.abs(spread.anisotropy) < 1e-12);
  const collapsed = alignmentUniformity(
    [
      [1, 1],
      [2, 2],
      [5, 5],
    ].map((v) => Float32Array.from(v)),
    [{ first: 0, second: 2, score: 4 }],
  );
  assert.ok(
    Math.abs(collapsed.uniformity) < 1e-12 && Math.abs(collapsed.anisotropy - 1) < 1e-7 && collapsed.alignment < 1e-12,
  );
});

test("a sentence subset is seeded, and bad pairs are refused by name", () => {
  const many = Array.from({ length: 40 }, (_, i) => Float32Array.from([Math.sin(i), Math.cos(3 * i), 0.5]));
  const a = alignmentUniformity(many, pairs, { maxSentences: 10, seed: 3 });
  const b = alignmentUniformity(many, pairs, { maxSentences: 10, seed: 3 });
  assert.equal(a.sentences, 10);
  assert.deepEqual(a, b);
  assert.throws(
    () => alignmentUniformity(many, [{ first: 0, second: 40, score: 5 }]),
    /pair 0 names sentence 40, but there are 40/,
  );
  assert.throws(() => alignmentUniformity(many, [{ first: 0, second: 1, score: 3 }]), /no pair is scored 4 or more/);
  assert.throws(() => alignmentUniformity([Float32Array.from([1])], []), /at least 2 sentences/);
});

test("STS rows become distinct sentences and indexed pairs", () => {
  const { texts, pairs: indexed } = indexScoredPairs([
    { sentence1: "a cat", sentence2: "a dog", score: 1 },
    { sentence1: "a dog", sentence2: "the dog", score: 4.5 },
    { sentence1: "a cat", sentence2: "a cat", score: 5 },
  ]);
  assert.deepEqual(texts, ["a cat", "a dog", "the dog"]);
  assert.deepEqual(indexed, [
    { first: 0, second: 1, score: 1 },
    { first: 1, second: 2, score: 4.5 },
    { first: 0, second: 0, score: 5 },
  ]);
});
