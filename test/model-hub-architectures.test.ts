import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";
import { loadSentenceEncoder } from "../src/index.js";
import { computeGradients, disposeGradients } from "../src/train/gradients.js";
import { testBackends, useBackend } from "./helpers/backends.js";
import { readSafetensors } from "../src/io/safetensors.js";
import { fixturesRoot, maxAbsDifference, skipWithoutFixtures } from "./helpers/fixtures.js";
import { embeddingDifference, fixtureBatch, hubFixtures, loadHubExpected } from "./helpers/hub-fixtures.js";

/** Parameter names in grads.safetensors (`0.model.<HF name>`, `<module>.linear.*`) to babelbed's. */
function babelbedName(reference: string, denseModules: string[]): string {
  if (reference.startsWith("0.model.")) return reference.slice("0.model.".length);
  const [module, ...rest] = reference.split(".");
  return `dense.${denseModules.indexOf(module!)}.${rest.join(".")}`;
}

for (const backend of testBackends) {
  for (const name of hubFixtures) {
    test(`${name}: embeddings, MSE loss and every gradient match sentence-transformers on ${backend}`, { skip: skipWithoutFixtures }, async () => {
      await useBackend(backend);
      const expected = loadHubExpected(name);
      const before = tf.memory().numTensors;
      const encoder = await loadSentenceEncoder(path.join(fixturesRoot, name));
      const embeddings = embeddingDifference(encoder, expected);
      assert.ok(embeddings <= 1e-5, `embeddings differ by ${embeddings}`);

      const reference = expected.mse_gradients;
      const batch = fixtureBatch(encoder, expected, 0, 8);
      const target = tf.tensor2d(reference.target);
      const gradients = computeGradients(encoder, encoder.sparseIds([batch]), (sparse) =>
        tf.tidy(() => tf.mean(tf.squaredDifference(encoder.forward(batch, { sparse }), target)) as tf.Scalar),
      );
      const loss = gradients.loss.dataSync()[0]!;
      assert.ok(Math.abs(loss - reference.loss) <= 1e-6, `loss ${loss} vs ${reference.loss}`);

      const { tensors: expectedGradients } = await readSafetensors(path.join(fixturesRoot, name, "grads.safetensors"));
      const denseModules = (expected.modules as string[]).flatMap((type, index) => (type.endsWith(".Dense") ? [String(index)] : []));
      let worst = 0;
      const wordRows = [...expectedGradients.keys()].find((key) => key.endsWith("word_embeddings.weight.rows"))!;
      for (const [reference, values] of expectedGradients) {
        if (reference.includes("word_embeddings.weight.")) continue;
        const gradient = gradients.dense.get(babelbedName(reference, denseModules));
        assert.ok(gradient, `a gradient for ${reference}`);
        const difference = maxAbsDifference(gradient.dataSync(), values.data);
        assert.ok(difference <= 1e-4, `gradient of ${reference} differs by ${difference}`);
        worst = Math.max(worst, difference);
      }
      const referenceIds = Array.from(expectedGradients.get(wordRows)!.data as BigInt64Array, Number);
      const width = encoder.transformer.config.hiddenSize;
      const referenceValues = expectedGradients.get(wordRows.replace(/rows$/, "values"))!.data as Float32Array;
      const referenceRows = referenceIds.map((_, row) => Array.from(referenceValues.subarray(row * width, (row + 1) * width)));
      const rows = gradients.sparse[0]!;
      const ours = rows.gradient.arraySync();
      rows.ids.forEach((id, index) => {
        const at = referenceIds.indexOf(id);
        // Rows the reference leaves out (padding) must have no gradient here either.
        const difference = at < 0 ? maxAbsDifference(ours[index], ours[index]!.map(() => 0)) : maxAbsDifference(ours[index], referenceRows[at]);
        assert.ok(difference <= 1e-4, `word embedding row ${id} differs by ${difference}`);
        worst = Math.max(worst, difference);
      });
      for (const id of referenceIds) assert.ok(rows.ids.includes(id), `a gradient for word embedding row ${id}`);
      console.log(`${name} on ${backend}: embeddings ${embeddings.toExponential(2)}, loss ${Math.abs(loss - reference.loss).toExponential(2)}, gradients ${worst.toExponential(2)}`);

      disposeGradients(gradients);
      target.dispose();
      encoder.dispose();
      assert.equal(tf.memory().numTensors, before, "no tensors left behind");
    });
  }
}
