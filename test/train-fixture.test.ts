import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import { padBatch, type TokenBatch } from "../src/model/batch.js";
import { pool } from "../src/model/pooling.js";
import type { Transformer } from "../src/model/transformer.js";
import type { SparseLookup } from "../src/model/embedding.js";
import { cosineSimilarityLoss } from "../src/losses/cosine-similarity.js";
import { AdamW } from "../src/train/adamw.js";
import { computeGradients, disposeGradients } from "../src/train/gradients.js";
import { testBackends, useBackend } from "./helpers/backends.js";
import {
  fixtureNames,
  loadExpected,
  loadFixtureTransformer,
  maxAbsDifference,
  skipWithoutFixtures,
} from "./helpers/fixtures.js";

function meanPooled(model: Transformer, batch: TokenBatch, sparse: SparseLookup): tf.Tensor2D {
  const hidden = model.forward(batch, { sparse });
  const mask = tf.tensor2d(batch.attentionMask, [batch.batchSize, batch.length], "int32");
  return pool(hidden, mask, "mean");
}

for (const backend of testBackends) {
  for (const name of fixtureNames) {
    test(`${name} end-to-end gradients and AdamW steps match the reference on ${backend}`, {
      skip: skipWithoutFixtures,
    }, async () => {
      await useBackend(backend);
      const expected = loadExpected(name);
      const reference = expected.end_to_end.cosine_similarity;
      const model = await loadFixtureTransformer(name);
      const sentences = expected.sentences as { input_ids: number[] }[];
      const encode = (index: number) => ({
        inputIds: sentences[index]!.input_ids,
        tokenTypeIds: sentences[index]!.input_ids.map(() => 0),
      });
      const first = padBatch(
        reference.sentence_pairs.map(([a]: number[]) => encode(a!)),
        0,
      );
      const second = padBatch(
        reference.sentence_pairs.map(([, b]: number[]) => encode(b!)),
        0,
      );
      const scores = Float32Array.from(reference.scores);
      const ids = new Map([[model.wordEmbeddings, [first.inputIds, second.inputIds]]]);
      const loss = (sparse: SparseLookup) =>
        tf.tidy(() =>
          cosineSimilarityLoss(meanPooled(model, first, sparse), meanPooled(model, second, sparse), scores),
        );

      const gradients = computeGradients(model, ids, loss);
      assert.ok(Math.abs(gradients.loss.dataSync()[0]! - reference.loss) < 1e-5, "loss");
      for (const [parameter, values] of Object.entries(reference.param_grads)) {
        const gradient = gradients.dense.get(parameter);
        assert.ok(gradient, `gradient for ${parameter}`);
        assert.ok(maxAbsDifference(gradient.arraySync(), values) < 1e-4, `gradient of ${parameter}`);
      }
      assert.equal(
        gradients.dense.size,
        Object.keys(reference.param_grads).length,
        "no gradient beyond the reference's",
      );
      const rows = gradients.sparse[0]!;
      assert.deepEqual(
        Array.from(rows.ids),
        Object.keys(reference.word_embeddings_grad_rows)
          .map(Number)
          .sort((a, b) => a - b),
      );
      const rowValues = rows.gradient.arraySync();
      rows.ids.forEach((id, index) => {
        assert.ok(
          maxAbsDifference(rowValues[index], reference.word_embeddings_grad_rows[id]) < 1e-4,
          `word embedding row ${id}`,
        );
      });
      disposeGradients(gradients);

      const { lr, betas, eps, weight_decay: weightDecay, losses } = reference.adamw;
      const optimizer = new AdamW({
        learningRate: lr,
        beta1: betas[0],
        beta2: betas[1],
        epsilon: eps,
        weightDecay,
        excludeFromDecay: () => false,
      });
      const before = tf.memory().numTensors;
      for (let step = 0; step < 3; step++) {
        const stepGradients = computeGradients(model, ids, loss);
        assert.ok(Math.abs(stepGradients.loss.dataSync()[0]! - losses[step]) < 1e-5, `loss before step ${step + 1}`);
        optimizer.apply(model.trainableParameters(), stepGradients);
        disposeGradients(stepGradients);
      }
      const final = tf.tidy(() => loss(new Map()).dataSync()[0]!);
      assert.ok(Math.abs(final - losses[3]) < 1e-5, `loss after 3 steps: ${final} vs ${losses[3]}`);
      optimizer.dispose();
      assert.ok(tf.memory().numTensors <= before, "training steps leave no tensors behind");
      model.dispose();
    });
  }
}
