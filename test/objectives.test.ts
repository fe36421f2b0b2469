import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";
import { additiveMarginLoss } from "../src/losses/additive-margin.js";
import { cosineSimilarityLoss } from "../src/losses/cosine-similarity.js";
import { mseLoss } from "../src/losses/mse.js";
import { SoftmaxClassifier } from "../src/losses/softmax.js";
import { tripletLoss } from "../src/losses/triplet.js";
import { testBackends, useBackend } from "./helpers/backends.js";
import {
  fixtureNames,
  fixturesRoot,
  loadExpected,
  loadTensors,
  maxAbsDifference,
  skipWithoutFixtures,
} from "./helpers/fixtures.js";

const forwardTolerance = 1e-5;
const gradientTolerance = 1e-4;

/** Loss value and gradients with respect to each named input. */
function lossAndGradients(
  inputs: Record<string, number[][]>,
  loss: (tensors: Record<string, tf.Tensor2D>) => tf.Scalar,
) {
  const names = Object.keys(inputs);
  const tensors = names.map((name) => tf.tensor2d(inputs[name]!));
  const { value, grads } = tf.valueAndGrads((...args: tf.Tensor[]) =>
    loss(Object.fromEntries(names.map((name, index) => [name, args[index] as tf.Tensor2D]))),
  )(tensors);
  const result = {
    loss: value.dataSync()[0]!,
    grads: Object.fromEntries(names.map((name, index) => [name, grads[index]!.arraySync()])),
  };
  tf.dispose([value, ...grads, ...tensors]);
  return result;
}

for (const backend of testBackends) {
  for (const name of fixtureNames) {
    test(`${name} objectives match the reference losses and gradients on ${backend}`, {
      skip: skipWithoutFixtures,
    }, async () => {
      await useBackend(backend);
      const objectives = loadExpected(name).objectives;
      const before = tf.memory().numTensors;

      const heads = await loadTensors(path.join(fixturesRoot, name, "heads.safetensors"));
      const classifier = new SoftmaxClassifier(
        heads.get("softmax_loss.classifier.weight") as tf.Tensor2D,
        heads.get("softmax_loss.classifier.bias") as tf.Tensor1D,
      );
      tf.dispose([...heads.values()]);
      const softmax = objectives.softmax;
      const labels = Int32Array.from(softmax.labels);
      const u = tf.tensor2d(softmax.u);
      const v = tf.tensor2d(softmax.v);
      const { value, grads } = tf.variableGrads(
        () => classifier.loss(u, v, labels),
        [classifier.weight, classifier.bias],
      );
      assert.ok(Math.abs(value.dataSync()[0]! - softmax.loss) < forwardTolerance, "softmax loss");
      assert.ok(
        maxAbsDifference(grads[classifier.weight.name]!.arraySync(), softmax.grad.weight) < gradientTolerance,
        "softmax dW",
      );
      assert.ok(
        maxAbsDifference(grads[classifier.bias.name]!.arraySync(), softmax.grad.bias) < gradientTolerance,
        "softmax db",
      );
      tf.dispose([value, ...Object.values(grads), u, v]);
      const inputs = lossAndGradients({ u: softmax.u, v: softmax.v }, (t) => classifier.loss(t.u!, t.v!, labels));
      assert.ok(maxAbsDifference(inputs.grads.u, softmax.grad.u) < gradientTolerance, "softmax du");
      assert.ok(maxAbsDifference(inputs.grads.v, softmax.grad.v) < gradientTolerance, "softmax dv");
      classifier.dispose();

      const cosine = objectives.cosine_similarity;
      const cosineResult = lossAndGradients({ u: cosine.u, v: cosine.v }, (t) =>
        cosineSimilarityLoss(t.u!, t.v!, Float32Array.from(cosine.scores)),
      );
      assert.ok(Math.abs(cosineResult.loss - cosine.loss) < forwardTolerance, "cosine loss");
      assert.ok(maxAbsDifference(cosineResult.grads.u, cosine.grad.u) < gradientTolerance, "cosine du");
      assert.ok(maxAbsDifference(cosineResult.grads.v, cosine.grad.v) < gradientTolerance, "cosine dv");

      const triplet = objectives.triplet;
      const tripletResult = lossAndGradients(
        { anchor: triplet.anchor, positive: triplet.positive, negative: triplet.negative },
        (t) => tripletLoss(t.anchor!, t.positive!, t.negative!, triplet.margin),
      );
      assert.ok(Math.abs(tripletResult.loss - triplet.loss) < forwardTolerance, "triplet loss");
      for (const part of ["anchor", "positive", "negative"]) {
        assert.ok(
          maxAbsDifference(tripletResult.grads[part], triplet.grad[part]) < gradientTolerance,
          `triplet d${part}`,
        );
      }

      const mse = objectives.mse;
      const mseResult = lossAndGradients({ student: mse.student, teacher: mse.teacher }, (t) =>
        mseLoss(t.student!, t.teacher!),
      );
      assert.ok(Math.abs(mseResult.loss - mse.loss) < forwardTolerance, "mse loss");
      assert.ok(maxAbsDifference(mseResult.grads.student, mse.grad.student) < gradientTolerance, "mse dstudent");

      for (const variant of objectives.labse.variants) {
        const label = `labse margin ${variant.margin} scale ${variant.scale} ${variant.reduction}`;
        const result = lossAndGradients({ x: objectives.labse.x, y: objectives.labse.y }, (t) =>
          additiveMarginLoss(t.x!, t.y!, variant),
        );
        assert.ok(
          Math.abs(result.loss - variant.loss) < forwardTolerance,
          `${label}: loss ${result.loss} vs ${variant.loss}`,
        );
        assert.ok(maxAbsDifference(result.grads.x, variant.grad.x) < gradientTolerance, `${label}: dx`);
        assert.ok(maxAbsDifference(result.grads.y, variant.grad.y) < gradientTolerance, `${label}: dy`);
      }
      assert.equal(tf.memory().numTensors, before, "objectives leave no tensors behind");
    });
  }
}

test("the triplet loss has a finite gradient when anchor and positive coincide", async () => {
  await useBackend("js");
  const anchor = tf.tensor2d([[0.5, -1, 2]]);
  const negative = tf.tensor2d([[0.4, -1, 2]]);
  const gradient = tf.grad((a: tf.Tensor) => tripletLoss(a as tf.Tensor2D, anchor, negative, 1))(anchor.clone());
  assert.ok(Array.from(gradient.dataSync()).every(Number.isFinite), `gradient ${gradient.dataSync()}`);
  tf.dispose([anchor, negative, gradient]);
});
