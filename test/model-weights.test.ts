import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import type { TransformerConfig } from "../src/model/config.js";
import { Transformer } from "../src/model/transformer.js";
import type { TransformerWeights } from "../src/model/weights.js";
import { Random } from "../src/util/random.js";
import { useBackend } from "./helpers/backends.js";
import { randomBatch, tinyConfig } from "./helpers/tiny.js";

const variants: Record<string, Partial<TransformerConfig>> = {
  bert: {},
  roberta: { modelType: "roberta", typeVocabSize: 1, padTokenId: 1 },
  "xlm-roberta": { modelType: "xlm-roberta", typeVocabSize: 1, padTokenId: 1 },
  mpnet: { modelType: "mpnet", typeVocabSize: 0, padTokenId: 1, relativeAttentionNumBuckets: 32 },
  distilbert: { modelType: "distilbert", typeVocabSize: 0, sinusoidalPositions: true },
};

/** Every tensor the typed views reach, in the order the forward pass meets them. */
function viewed(weights: TransformerWeights): tf.Tensor[] {
  const { positions, tokenTypes, norm } = weights.embeddings;
  const tensors: tf.Tensor[] = [positions, ...(tokenTypes ? [tokenTypes] : []), norm.weight, norm.bias];
  for (const layer of weights.layers) for (const part of Object.values(layer)) tensors.push(part.weight, part.bias);
  if (weights.relativeAttentionBias) tensors.push(weights.relativeAttentionBias);
  if (weights.pooler) tensors.push(weights.pooler.weight, weights.pooler.bias);
  return tensors;
}

for (const [name, overrides] of Object.entries(variants)) {
  test(`${name}: the typed weights are the HF-named variables themselves, each once`, async () => {
    await useBackend("js");
    const model = Transformer.initialize(tinyConfig(overrides), 2);
    const views = viewed(model.weights);
    assert.equal(model.weights.layers.length, model.config.numHiddenLayers);
    assert.equal(new Set(views).size, views.length, "no variable has two roles");
    assert.deepEqual(new Set(views), new Set(model.parameters.values()), "every named parameter has a role, only they");
    for (const [index, layer] of model.weights.layers.entries()) {
      for (const [part, hfName] of Object.entries(model.architecture.block(index))) {
        const weights = layer[part as keyof typeof layer];
        assert.equal(weights.weight, model.parameters.get(`${hfName}.weight`), `${hfName}.weight`);
        assert.equal(weights.bias, model.parameters.get(`${hfName}.bias`), `${hfName}.bias`);
      }
    }
    model.dispose();
  });
}

test("assigning a parameter by its HF name (as checkpoint loading does) changes what forward computes", async () => {
  await useBackend("js");
  const model = Transformer.initialize(tinyConfig(), 3);
  const before = tf.memory().numTensors;
  const batch = randomBatch(new Random(4), model.config.vocabSize, 3, 6);
  // A zero scale in the last LayerNorm leaves only its shift: every position's output is the bias.
  const last = model.architecture.block(model.config.numHiddenLayers - 1).outputNorm;
  const shift = tf.tidy(() => tf.range(0, model.config.hiddenSize).div(10));
  const zeros = tf.zeros([model.config.hiddenSize]);
  model.parameters.get(`${last}.weight`)!.assign(zeros);
  model.parameters.get(`${last}.bias`)!.assign(shift);
  const hidden = model.forward(batch);
  const expected = tf.tidy(() => tf.broadcastTo(shift, hidden.shape));
  assert.deepEqual(hidden.arraySync(), expected.arraySync());
  tf.dispose([hidden, expected, shift, zeros]);
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});
