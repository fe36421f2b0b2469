import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { dot, forEachSimilarityBlock, nearestNeighbours, normalizeRows, toMatrix } from "../src/evaluate/embeddings.js";
import { evaluateTranslationRetrieval } from "../src/evaluate/retrieval.js";
import { Random } from "../src/util/random.js";

function gaussian(random: Random, count: number, dimension: number): Float32Array[] {
  return Array.from({ length: count }, () => Float32Array.from({ length: dimension }, () => random.normal()));
}

function noisy(random: Random, vectors: Float32Array[], scale: number): Float32Array[] {
  return vectors.map((vector) => vector.map((value) => value + scale * random.normal()));
}

describe("translation retrieval", () => {
  test("a hand-worked 3 × 3 case in both directions", () => {
    const source = [new Float32Array([1, 0]), new Float32Array([0, 1]), new Float32Array([1, 1])];
    const target = [new Float32Array([1, 0.1]), new Float32Array([1, 0.2]), new Float32Array([0.7, 0.7])];
    // cos(source i, target j):  t0     t1     t2
    //   s0 [1,0]             .995   .981   .707   → t0 (right)
    //   s1 [0,1]             .100   .196   .707   → t2 (wrong)
    //   s2 [1,1]             .774   .832  1.000   → t2 (right)
    // Columns: t0 → s0 (right), t1 → s0 (wrong), t2 → s2 (right).
    const metrics = evaluateTranslationRetrieval({ source, target });
    assert.deepEqual([...metrics.predictions.sourceToTarget], [0, 2, 2]);
    assert.deepEqual([...metrics.predictions.targetToSource], [0, 0, 2]);
    assert.equal(metrics.sourceToTarget, 2 / 3);
    assert.equal(metrics.targetToSource, 2 / 3);
    assert.equal(metrics.average, 2 / 3);
  });

  test("ties go to the lowest index, so identical embeddings score 1/n", () => {
    const same = Array.from({ length: 4 }, () => new Float32Array([0.5, 0.5]));
    const metrics = evaluateTranslationRetrieval({ source: same, target: same });
    assert.deepEqual([...metrics.predictions.sourceToTarget], [0, 0, 0, 0]);
    assert.equal(metrics.sourceToTarget, 0.25);
  });

  test("translations near their source: accuracy 1; shuffled targets: near chance", () => {
    const random = new Random(5);
    const source = gaussian(random, 500, 32);
    const target = noisy(random, source, 0.1);
    const perfect = evaluateTranslationRetrieval({ source, target, blockSize: 64 });
    assert.equal(perfect.sourceToTarget, 1);
    assert.equal(perfect.targetToSource, 1);
    const shuffled = evaluateTranslationRetrieval({ source, target: random.shuffle([...target]) });
    assert.ok(shuffled.sourceToTarget < 0.02, `shuffled accuracy ${shuffled.sourceToTarget}`);
  });

  test("the answer does not depend on the block size", () => {
    const random = new Random(9);
    const source = gaussian(random, 203, 12);
    const target = noisy(random, source, 1.2);
    const small = evaluateTranslationRetrieval({ source, target, blockSize: 7 });
    const large = evaluateTranslationRetrieval({ source, target, blockSize: 1000 });
    assert.deepEqual(small.predictions, large.predictions);
    assert.ok(small.sourceToTarget > 0.1 && small.sourceToTarget < 1, "the noise leaves some mistakes to compare");
  });
});

describe("similarity blocks and neighbours", () => {
  test("blocks cover the whole cosine matrix once, and top-k matches a brute-force sort", () => {
    const random = new Random(2);
    const a = toMatrix(gaussian(random, 37, 5));
    const b = toMatrix(gaussian(random, 23, 5));
    const x = normalizeRows(a);
    const y = normalizeRows(b);
    const full: number[][] = Array.from({ length: 37 }, () => new Array<number>(23).fill(Number.NaN));
    forEachSimilarityBlock(
      x,
      y,
      (block, rowStart, rows, columnStart, columns) => {
        for (let r = 0; r < rows; r++) {
          for (let c = 0; c < columns; c++) {
            assert.ok(Number.isNaN(full[rowStart + r]![columnStart + c]!), "visited twice");
            full[rowStart + r]![columnStart + c] = block[r * columns + c]!;
            // Bit for bit: the blocked kernel sums in the same order as a single dot product.
            assert.equal(block[r * columns + c], dot(x.data, rowStart + r, y.data, columnStart + c, 5));
          }
        }
      },
      { blockSize: 8 },
    );
    assert.ok(
      full.every((row) => row.every((value) => !Number.isNaN(value))),
      "every entry visited",
    );
    const { forward, backward } = nearestNeighbours(a, b, 4, { blockSize: 8 });
    for (let i = 0; i < 37; i++) {
      const expected = full[i]!.map((score, j) => ({ score, j })).sort((p, q) => q.score - p.score || p.j - q.j);
      assert.deepEqual(
        [...forward.indices.subarray(i * 4, i * 4 + 4)],
        expected.slice(0, 4).map((entry) => entry.j),
      );
    }
    for (let j = 0; j < 23; j++) {
      const expected = full.map((row, i) => ({ score: row[j]!, i })).sort((p, q) => q.score - p.score || p.i - q.i);
      assert.deepEqual(
        [...backward.indices.subarray(j * 4, j * 4 + 4)],
        expected.slice(0, 4).map((entry) => entry.i),
      );
    }
  });
});
