import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";
import { batchFromRows } from "../src/model/batch.js";
import type { SparseLookup } from "../src/model/embedding.js";
import { MaskedLanguageModelHead } from "../src/losses/masked-language-model-head.js";
import { MaskedLanguageModel } from "../src/train/objectives/masked-language-model.js";
import { AdamW } from "../src/train/adamw.js";
import { computeGradients, disposeGradients } from "../src/train/gradients.js";
import { testBackends, useBackend } from "./helpers/backends.js";
import {
  fixtureConfig,
  fixtureNames,
  fixturesRoot,
  loadExpected,
  loadFixtureTransformer,
  loadTensors,
  maxAbsDifference,
  skipWithoutFixtures,
  type FixtureName,
} from "./helpers/fixtures.js";
import { readScalar, tinyConfig, tinyTransformer } from "./helpers/tiny.js";

const forwardTolerance = 1e-5;
const gradientTolerance = 1e-4;

async function loadHead(name: FixtureName): Promise<MaskedLanguageModelHead> {
  const heads = await loadTensors(path.join(fixturesRoot, name, "heads.safetensors"));
  const head = new MaskedLanguageModelHead(fixtureConfig(name), heads);
  tf.dispose([...heads.values()]);
  return head;
}

/** The L2 norm summed in float64: a float32 sum over a whole vocabulary's gradient drifts by ~1e-5 relative. */
function l2Norm(tensor: tf.Tensor): number {
  let sum = 0;
  for (const value of tensor.dataSync()) sum += value * value;
  return Math.sqrt(sum);
}

/** Worst difference over the listed rows `{id: [H]}` of a `[rows, H]` gradient. */
function rowsDifference(gradient: tf.Tensor2D, rows: Record<string, number[]>): number {
  const ids = Object.keys(rows).map(Number);
  const actual = tf.tidy(() => tf.gather(gradient, tf.tensor1d(ids, "int32")).arraySync());
  return Math.max(...ids.map((id, index) => maxAbsDifference(actual[index], rows[id])));
}

for (const backend of testBackends) {
  for (const name of fixtureNames) {
    test(`${name} MLM head: loss and gradients match objectives.mlm on ${backend}`, {
      skip: skipWithoutFixtures,
    }, async () => {
      await useBackend(backend);
      const reference = loadExpected(name).objectives.mlm;
      const model = await loadFixtureTransformer(name);
      const head = await loadHead(name);
      const before = tf.memory().numTensors;
      const sequenceValues = tf.tensor3d(reference.sequence_output);
      const sequenceOutput = tf.variable(sequenceValues);
      sequenceValues.dispose();
      const decoderValues = model.wordEmbeddings.toTensor();
      const decoder = tf.variable(decoderValues);
      decoderValues.dispose();
      const labels = Int32Array.from(reference.labels.flat());
      const headVariables = [...head.parameters.values()];
      const { value, grads } = tf.variableGrads(
        () => head.loss(sequenceOutput as tf.Tensor3D, labels, decoder as tf.Tensor2D),
        [sequenceOutput, decoder, ...headVariables],
      );
      const errors: Record<string, number> = { loss: Math.abs(readScalar(value) - reference.loss) };
      errors.sequence_output = maxAbsDifference(
        grads[sequenceOutput.name]!.arraySync(),
        reference.grad.sequence_output,
      );
      for (const part of ["dense.weight", "dense.bias", "LayerNorm.weight", "LayerNorm.bias"]) {
        const parameter = `cls.predictions.transform.${part}`;
        errors[parameter] = maxAbsDifference(
          grads[head.parameters.get(parameter)!.name]!.arraySync(),
          reference.grad[parameter],
        );
      }
      const bias = reference.grad["cls.predictions.bias"];
      const biasGradient = grads[head.parameters.get("cls.predictions.bias")!.name]!;
      const biasValues = biasGradient.dataSync();
      errors.bias = Math.max(
        ...bias.ids.map((id: number, index: number) => Math.abs(biasValues[id]! - bias.values[index])),
      );
      errors.bias_l2 = Math.abs(l2Norm(biasGradient) - bias.l2_norm);
      // The reference's whole-vocabulary `l2_norm`s sit ~4e-5 (relative) off a float64 recomputation from
      // the fixture's own inputs (decoder 1.9391987 vs 1.9391118 uncased), while ours agree with it, so
      // these two checks use most of the 1e-4 gradient tolerance; row values agree to ~1e-7.
      const viaDecoder = reference.grad.word_embeddings_via_decoder;
      errors.decoder_rows = rowsDifference(grads[decoder.name] as tf.Tensor2D, viaDecoder.rows);
      errors.decoder_l2 = Math.abs(l2Norm(grads[decoder.name]!) - viaDecoder.l2_norm);
      console.log(`${name} objectives.mlm max errors`, errors);
      assert.ok(errors.loss! < forwardTolerance, "loss");
      for (const [key, error] of Object.entries(errors)) assert.ok(error < gradientTolerance, `${key}: ${error}`);
      tf.dispose([value, ...Object.values(grads), sequenceOutput, decoder]);
      assert.equal(tf.memory().numTensors, before, "no tensor left behind");
      head.dispose();
      model.dispose();
    });

    test(`${name} BERT + MLM head end to end: gradients match end_to_end.mlm and AdamW updates the tied table on ${backend}`, {
      skip: skipWithoutFixtures,
    }, async () => {
      await useBackend(backend);
      const expected = loadExpected(name);
      const reference = expected.end_to_end.mlm;
      const batchValues = expected.objectives.mlm;
      const model = new MaskedLanguageModel(await loadFixtureTransformer(name), await loadHead(name));
      const batch = batchFromRows(batchValues.input_ids, batchValues.attention_mask, batchValues.token_type_ids);
      const labels = Int32Array.from(batchValues.labels.flat());
      const before = tf.memory().numTensors;
      const loss = () => model.loss(batch, labels);

      const gradients = model.gradients(batch, labels);
      const errors: Record<string, number> = { loss: Math.abs(readScalar(gradients.loss) - reference.loss) };
      let worstParameter = 0;
      for (const [parameter, values] of Object.entries(reference.param_grads)) {
        const gradient = gradients.dense.get(parameter);
        assert.ok(gradient, `gradient for ${parameter}`);
        worstParameter = Math.max(worstParameter, maxAbsDifference(gradient.arraySync(), values));
      }
      errors.param_grads = worstParameter;
      // Every parameter the reference lists, plus the decoder bias, which it reports apart.
      assert.equal(
        gradients.dense.size,
        Object.keys(reference.param_grads).length + 1,
        "no gradient beyond the reference's",
      );
      const biasGradient = gradients.dense.get("cls.predictions.bias")!;
      const biasValues = biasGradient.dataSync();
      const bias = reference["cls.predictions.bias_grad"];
      errors.bias = Math.max(
        ...bias.ids.map((id: number, index: number) => Math.abs(biasValues[id]! - bias.values[index])),
      );
      errors.bias_l2 = Math.abs(l2Norm(biasGradient) - bias.l2_norm);
      assert.equal(gradients.sparse.length, 1);
      const words = gradients.sparse[0]!;
      assert.equal(
        words.ids.length,
        model.transformer.config.vocabSize,
        "the tied decoder makes every row's gradient live",
      );
      errors.word_rows = rowsDifference(words.gradient, reference.word_embeddings_grad.rows);
      errors.word_l2 = Math.abs(l2Norm(words.gradient) - reference.word_embeddings_grad.l2_norm);
      console.log(`${name} end_to_end.mlm max errors`, errors);
      assert.ok(errors.loss! < forwardTolerance, "loss");
      for (const [key, error] of Object.entries(errors)) assert.ok(error < gradientTolerance, `${key}: ${error}`);

      // One AdamW step from fresh moments: m̂ = g and v̂ = g², so each entry moves by
      // −lr·g/(|g| + eps) after decay, on every row, including rows no input token looked up.
      const { lr, weightDecay, epsilon } = { lr: 1e-3, weightDecay: 0.01, epsilon: 1e-6 };
      const optimizer = new AdamW({ learningRate: lr, weightDecay, epsilon });
      const table = model.transformer.wordEmbeddings;
      const previous = table.toTensor();
      optimizer.apply(model.trainableParameters(), gradients);
      const wanted = tf.tidy(() => {
        const g = words.gradient;
        return tf.sub(tf.mul(previous, 1 - lr * weightDecay), tf.mul(tf.div(g, tf.add(tf.abs(g), epsilon)), lr));
      });
      const updated = table.toTensor();
      const updateError = tf.tidy(() => readScalar(tf.max(tf.abs(tf.sub(updated, wanted)))));
      const probe = Object.keys(reference.word_embeddings_grad.rows).map(Number).at(-1)!;
      assert.ok(!batch.inputIds.includes(probe), "the probe row is not an input token");
      const probeMoved = tf.tidy(() =>
        readScalar(tf.max(tf.abs(tf.sub(updated.slice([probe, 0], [1, -1]), previous.slice([probe, 0], [1, -1]))))),
      );
      console.log(`${name} AdamW table update max error ${updateError}, probe row ${probe} moved by ${probeMoved}`);
      assert.ok(updateError < 1e-6, `AdamW on the tied table: ${updateError}`);
      assert.ok(probeMoved > 0.5 * lr, "the decoder gradient reached a row that no input token looked up");
      tf.dispose([previous, wanted, updated]);
      disposeGradients(gradients);

      // Training keeps lowering the loss and leaves no tensor behind.
      const start = tf.tidy(() => readScalar(loss()));
      for (let step = 0; step < 3; step++) {
        const stepGradients = model.gradients(batch, labels);
        optimizer.apply(model.trainableParameters(), stepGradients);
        disposeGradients(stepGradients);
      }
      const end = tf.tidy(() => readScalar(loss()));
      assert.ok(end < start, `loss falls with training: ${start} → ${end}`);
      optimizer.dispose();
      assert.equal(tf.memory().numTensors, before, "no tensor left behind");
      model.dispose();
    });
  }
}

test("a fresh head is HF-initialised, and a one-block table gets the gradient of a whole-table variable", async () => {
  await useBackend("js");
  const config = tinyConfig();
  const head = MaskedLanguageModelHead.initialize(config, 5);
  assert.deepEqual(
    Array.from(head.parameters.get("cls.predictions.transform.LayerNorm.weight")!.dataSync()),
    new Array(config.hiddenSize).fill(1),
  );
  assert.equal(readScalar(tf.tidy(() => tf.sum(tf.abs(head.parameters.get("cls.predictions.bias")!)))), 0);
  const model = new MaskedLanguageModel(tinyTransformer(2), head);
  const batch = batchFromRows(
    [
      [1, 5, 3, 2],
      [1, 9, 2, 0],
    ],
    [
      [1, 1, 1, 1],
      [1, 1, 1, 0],
    ],
    [
      [0, 0, 0, 0],
      [0, 0, 1, 0],
    ],
  );
  const labels = Int32Array.from([-100, 7, -100, -100, -100, 9, 4, -100]);
  const before = tf.memory().numTensors;
  const gradients = model.gradients(batch, labels);
  // The slow but plain way: the whole table as the step's one trainable variable, read by lookup and decoder alike.
  const table = model.transformer.wordEmbeddings;
  const everyRow = Int32Array.from({ length: table.rows }, (_, id) => id);
  const plain = computeGradients(model, new Map([[table, [everyRow]]]), (sparse: SparseLookup) =>
    tf.tidy(() =>
      head.loss(model.transformer.forward(batch, { sparse }), labels, sparse.get(table)!.variable as tf.Tensor2D),
    ),
  );
  assert.ok(Math.abs(readScalar(gradients.loss) - readScalar(plain.loss)) < 1e-6, "loss");
  for (const [name, gradient] of plain.dense) {
    assert.ok(maxAbsDifference(gradients.dense.get(name)!.arraySync(), gradient.arraySync()) < 1e-5, name);
  }
  assert.deepEqual(Array.from(gradients.sparse[0]!.ids), Array.from(plain.sparse[0]!.ids));
  assert.ok(
    maxAbsDifference(gradients.sparse[0]!.gradient.arraySync(), plain.sparse[0]!.gradient.arraySync()) < 1e-5,
    "word embeddings",
  );
  disposeGradients(gradients);
  disposeGradients(plain);
  assert.equal(tf.memory().numTensors, before, "no tensor left behind");
  assert.throws(
    () => model.loss(batch, labels, { sparse: new Map() } as object),
    /train with MaskedLanguageModel.gradients/,
  );
  assert.throws(() => model.gradients(batch, new Int32Array(8).fill(-100)), /no position is labelled/);
  assert.equal(tf.memory().numTensors, before, "a refused step leaves no tensor behind");
  model.dispose();
});
