import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { multipleNegativesRankingLoss } from "../src/losses/multiple-negatives-ranking.js";
import { simcseLoss } from "../src/losses/simcse.js";
import { testBackends, useBackend } from "./helpers/backends.js";
import { maxAbsDifference, repositoryRoot } from "./helpers/fixtures.js";

// Made by test/fixtures/contrastive-losses.py with PyTorch, as sentence-transformers computes the losses.
const reference = JSON.parse(
  readFileSync(path.join(repositoryRoot, "test", "fixtures", "contrastive-losses.json"), "utf8"),
);
const forwardTolerance = 1e-5;
const gradientTolerance = 1e-4;
type Inputs = Record<string, number[][]>;

function lossAndGradients(inputs: Inputs, loss: (tensors: Record<string, tf.Tensor2D>) => tf.Scalar) {
  const names = Object.keys(inputs);
  const tensors = names.map((name) => tf.tensor2d(inputs[name]!));
  const { value, grads } = tf.valueAndGrads((...args: tf.Tensor[]) =>
    loss(Object.fromEntries(names.map((name, index) => [name, args[index] as tf.Tensor2D]))),
  )(tensors);
  const result = {
    loss: value.dataSync()[0]!,
    grads: Object.fromEntries(names.map((name, index) => [name, grads[index]!.arraySync() as number[][]])),
  };
  tf.dispose([value, ...grads, ...tensors]);
  return result;
}

/** The ranking loss written out in float64 loops, independent of tfjs. */
function plainRankingLoss(
  a: number[][],
  p: number[][],
  n: number[][] | undefined,
  scale: number,
  symmetric: boolean,
): number {
  const unit = (v: number[]) => {
    const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    return v.map((x) => x / norm);
  };
  const candidates = [...p, ...(n ?? [])].map(unit);
  const anchors = a.map(unit);
  const score = (i: number, j: number) => scale * anchors[i]!.reduce((s, x, k) => s + x * candidates[j]![k]!, 0);
  const crossEntropy = (row: number[], target: number) => {
    const top = Math.max(...row);
    return -(row[target]! - top - Math.log(row.reduce((s, x) => s + Math.exp(x - top), 0)));
  };
  let forward = 0;
  let backward = 0;
  for (let i = 0; i < a.length; i++) {
    forward += crossEntropy(
      candidates.map((_, j) => score(i, j)),
      i,
    );
    backward += crossEntropy(
      anchors.map((_, j) => score(j, i)),
      i,
    );
  }
  forward /= a.length;
  backward /= a.length;
  return symmetric ? (forward + backward) / 2 : forward;
}

for (const backend of testBackends) {
  test(`multiple-negatives ranking loss and gradients match PyTorch (scale, hard negatives, symmetric) on ${backend}`, async () => {
    await useBackend(backend);
    const before = tf.memory().numTensors;
    for (const expected of reference.multipleNegatives) {
      const inputs: Inputs = { anchors: reference.anchors, positives: reference.positives };
      if (expected.negatives) inputs.negatives = reference.negatives;
      const result = lossAndGradients(inputs, (t) =>
        multipleNegativesRankingLoss(t.anchors!, t.positives!, {
          negatives: t.negatives,
          scale: expected.scale,
          symmetric: expected.symmetric,
        }),
      );
      assert.ok(
        Math.abs(result.loss - expected.loss) < forwardTolerance,
        `${expected.name}: loss ${result.loss} vs ${expected.loss}`,
      );
      for (const name of Object.keys(inputs)) {
        const difference = maxAbsDifference(result.grads[name], expected.grad[name]);
        assert.ok(difference < gradientTolerance, `${expected.name}: d${name} off by ${difference}`);
      }
      const plain = plainRankingLoss(
        reference.anchors,
        reference.positives,
        expected.negatives ? reference.negatives : undefined,
        expected.scale,
        expected.symmetric,
      );
      assert.ok(Math.abs(plain - expected.loss) < 1e-9, `${expected.name}: the plain computation agrees with PyTorch`);
    }
    assert.equal(tf.memory().numTensors, before, "no tensor left behind");
  });

  test(`unsupervised SimCSE loss and gradients match PyTorch at temperatures 0.05 and 0.1 on ${backend}`, async () => {
    await useBackend(backend);
    const before = tf.memory().numTensors;
    for (const expected of reference.simcse) {
      const result = lossAndGradients({ anchors: reference.anchors, positives: reference.positives }, (t) =>
        simcseLoss(t.anchors!, t.positives!, { temperature: expected.temperature }),
      );
      assert.ok(
        Math.abs(result.loss - expected.loss) < forwardTolerance,
        `${expected.name}: loss ${result.loss} vs ${expected.loss}`,
      );
      assert.ok(
        maxAbsDifference(result.grads.anchors, expected.grad.anchors) < gradientTolerance,
        `${expected.name}: first view`,
      );
      assert.ok(
        maxAbsDifference(result.grads.positives, expected.grad.positives) < gradientTolerance,
        `${expected.name}: second view`,
      );
    }
    assert.equal(tf.memory().numTensors, before, "no tensor left behind");
  });

  test(`the symmetric ranking loss with hard negatives agrees with central finite differences on ${backend}`, async () => {
    await useBackend(backend);
    const inputs: Inputs = {
      anchors: reference.anchors,
      positives: reference.positives,
      negatives: reference.negatives,
    };
    const options = { scale: 5, symmetric: true };
    const analytic = lossAndGradients(inputs, (t) =>
      multipleNegativesRankingLoss(t.anchors!, t.positives!, { ...options, negatives: t.negatives }),
    );
    const lossAt = (values: Inputs) =>
      tf.tidy(() => {
        const [a, p, n] = ["anchors", "positives", "negatives"].map((name) => tf.tensor2d(values[name]!));
        return multipleNegativesRankingLoss(a!, p!, { ...options, negatives: n! }).dataSync()[0]!;
      });
    const epsilon = 1e-2;
    for (const name of Object.keys(inputs)) {
      for (const [row, column] of [
        [0, 0],
        [2, 3],
        [4, 6],
      ] as const) {
        const shifted = (delta: number) => ({
          ...inputs,
          [name]: inputs[name]!.map((r, i) => r.map((x, j) => (i === row && j === column ? x + delta : x))),
        });
        const numeric = (lossAt(shifted(epsilon)) - lossAt(shifted(-epsilon))) / (2 * epsilon);
        const value = analytic.grads[name]![row]![column]!;
        assert.ok(
          Math.abs(numeric - value) < 2e-3 + 2e-2 * Math.abs(numeric),
          `${name}[${row}][${column}]: analytic ${value} vs numeric ${numeric}`,
        );
      }
    }
  });
}

test("the ranking loss refuses batches of different sizes, and SimCSE a non-positive temperature", () => {
  const a = tf.zeros([3, 4]) as tf.Tensor2D;
  const b = tf.zeros([2, 4]) as tf.Tensor2D;
  assert.throws(() => multipleNegativesRankingLoss(a, b), /batch size: 3 vs 2/);
  assert.throws(() => multipleNegativesRankingLoss(a, a, { negatives: b }), /hard negatives differ/);
  assert.throws(() => simcseLoss(a, a, { temperature: 0 }), /temperature must be positive/);
  tf.dispose([a, b]);
});
