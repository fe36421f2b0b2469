import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { averageRanks, pearson, spearman } from "../src/evaluate/correlation.js";
import { evaluateSts } from "../src/evaluate/sts.js";
import { BabelbedError } from "../src/util/errors.js";

const close = (actual: number, expected: number, tolerance = 1e-12) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} is not within ${tolerance} of ${expected}`);

describe("correlations", () => {
  test("average ranks share the mean rank among ties (scipy rankdata 'average')", () => {
    assert.deepEqual([...averageRanks([10, 20, 20, 20, 5])], [2, 4, 4, 4, 1]);
    assert.deepEqual([...averageRanks([3, 1, 2])], [3, 1, 2]);
  });

  test("Spearman without ties equals the textbook 1 − 6Σd² / n(n² − 1)", () => {
    // d = rank differences (0−1, 1, −1, 1, 0) → Σd² = 4 → 1 − 24/120 = 0.8.
    close(spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]), 0.8);
  });

  test("Spearman with ties is Pearson of average ranks, not the textbook shortcut", () => {
    // x = [1, 2, 2] ranks [1, 2.5, 2.5]; y = [1, 3, 2] ranks [1, 3, 2]. Centred: dx = [−1, .5, .5],
    // dy = [−1, 1, 0]; Σdx·dy = 1.5, Σdx² = 1.5, Σdy² = 2 → ρ = 1.5 / √3 = √3 / 2 ≈ 0.8660.
    // (The shortcut would give 1 − 6·0.5 / 24 = 0.875; scipy.stats.spearmanr gives 0.8660.)
    close(spearman([1, 2, 2], [1, 3, 2]), Math.sqrt(3) / 2);
  });

  test("Pearson by hand, and NaN for a constant side as scipy", () => {
    // x = [1, 2, 3], y = [2, 4, 7]: Σdx·dy = 5, Σdx² = 2, Σdy² = 114/9 → r = 15 / √228.
    close(pearson([1, 2, 3], [2, 4, 7]), 15 / Math.sqrt(228));
    close(pearson([1, 2, 3], [6, 4, 2]), -1);
    assert.ok(Number.isNaN(pearson([1, 1, 1], [1, 2, 3])));
    assert.throws(() => pearson([1, 2], [1, 2, 3]), BabelbedError);
  });
});

describe("evaluateSts", () => {
  test("cosine of each pair correlated with gold, by hand", () => {
    // Cosines: [2,0]·[3,4] → 0.6; [1,0]·[1,0] → 1; [1,0]·[0,5] → 0; [1,0]·[−4,−3] → −0.8.
    const embeddings1 = [
      new Float32Array([2, 0]),
      new Float32Array([1, 0]),
      new Float32Array([1, 0]),
      new Float32Array([1, 0]),
    ];
    const embeddings2 = [
      new Float32Array([3, 4]),
      new Float32Array([1, 0]),
      new Float32Array([0, 5]),
      new Float32Array([-4, -3]),
    ];
    const scores = [3, 5, 1, 0];
    const metrics = evaluateSts({ embeddings1, embeddings2, scores });
    assert.equal(metrics.count, 4);
    close(metrics.spearman, 1, 1e-12); // same order
    // cos = [.6, 1, 0, −.8] (mean .2), gold = [3, 5, 1, 0] (mean 2.25):
    // Σdc·dg = .4·.75 + .8·2.75 + (−.2)(−1.25) + (−1)(−2.25) = 5; Σdc² = 1.84; Σdg² = 14.75.
    close(metrics.pearson, 5 / Math.sqrt(1.84 * 14.75), 1e-6);
  });

  test("the gold scale does not matter, and a flat matrix works like a vector list", () => {
    const embeddings1 = { data: new Float32Array([1, 0, 0, 1, 1, 1]), count: 3, dimension: 2 };
    const embeddings2 = { data: new Float32Array([1, 0.2, 0.3, 1, -1, 1]), count: 3, dimension: 2 };
    const onFive = evaluateSts({ embeddings1, embeddings2, scores: [5, 4, 1] });
    const onOne = evaluateSts({ embeddings1, embeddings2, scores: [1, 0.8, 0.2] });
    close(onFive.pearson, onOne.pearson);
    close(onFive.spearman, onOne.spearman);
  });

  test("mismatched lengths and NaN embeddings are errors", () => {
    const one = [new Float32Array([1, 0])];
    assert.throws(
      () => evaluateSts({ embeddings1: one, embeddings2: one, scores: [1, 2] }),
      /1 embedded pairs but 2 gold scores/,
    );
    assert.throws(
      () => evaluateSts({ embeddings1: one, embeddings2: [new Float32Array([Number.NaN, 0])], scores: [1] }),
      /vector 0 holds NaN/,
    );
    assert.throws(
      () => evaluateSts({ embeddings1: one, embeddings2: [new Float32Array([1, 0, 0])], scores: [1] }),
      /dimension/,
    );
    // Zero rows, one row or a constant side: no correlation exists, and none is reported as NaN.
    assert.throws(
      () => evaluateSts({ embeddings1: [], embeddings2: [], scores: [] }),
      /0 pairs; a correlation needs at least 2/,
    );
    const three = [new Float32Array([1, 0]), new Float32Array([0, 1]), new Float32Array([1, 1])];
    assert.throws(
      () => evaluateSts({ embeddings1: three, embeddings2: three.slice().reverse(), scores: [2, 2, 2] }),
      /every gold score is the same/,
    );
  });
});
