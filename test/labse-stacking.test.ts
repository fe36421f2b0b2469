import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import { EmbeddingTable } from "../src/model/embedding.js";
import { growTransformer, stackingSchedule } from "../src/model/stacking.js";
import { AdamW } from "../src/train/adamw.js";
import { computeGradients, disposeGradients } from "../src/train/gradients.js";
import { Random } from "../src/util/random.js";
import { testBackends, useBackend } from "./helpers/backends.js";
import { randomBatch, tinyTransformer } from "./helpers/tiny.js";

test("the stacking schedule doubles to the full depth", () => {
  assert.deepEqual(stackingSchedule(12), [3, 6, 12]);
  assert.deepEqual(stackingSchedule(24, 3), [6, 12, 24]);
  assert.deepEqual(stackingSchedule(8, 1), [8]);
  assert.throws(() => stackingSchedule(6, 3), /cannot be halved/);
});

for (const backend of testBackends) {
  test(`growing L/4 → L/2 stacks exact copies of the trained layers into independent variables on ${backend}`, async () => {
    await useBackend(backend);
    const before = tf.memory().numTensors;
    const [quarter, half] = stackingSchedule(8);
    const model = tinyTransformer(4, { numHiddenLayers: quarter });
    // Train a step first, so that the copies are of trained values, not of a fresh initialisation.
    const random = new Random(2);
    const batch = randomBatch(random, model.config.vocabSize, 4, 6);
    const optimizer = new AdamW({ learningRate: 1e-2 });
    const gradients = computeGradients(model, new Map([[model.wordEmbeddings, [batch.inputIds]]]), (sparse) =>
      tf.tidy(() => tf.mean(tf.square(model.forward(batch, { sparse })))),
    );
    optimizer.apply(model.trainableParameters(), gradients);
    disposeGradients(gradients);
    optimizer.dispose();

    const grown = growTransformer(model, half!);
    assert.equal(grown.config.numHiddenLayers, half);
    assert.equal(model.config.numHiddenLayers, quarter, "the trained model keeps its depth");
    const trained = model.namedTensors();
    const stacked = grown.namedTensors();
    assert.equal(
      stacked.size,
      trained.size * 2 - [...trained.keys()].filter((name) => !name.startsWith("encoder.")).length,
    );
    for (const [name, tensor] of stacked) {
      const match = /^encoder\.layer\.(\d+)\.(.*)$/.exec(name);
      const source = match === null ? name : `encoder.layer.${Number(match[1]) % quarter!}.${match[2]}`;
      assert.deepEqual(tensor.arraySync(), trained.get(source)!.arraySync(), `${name} is an exact copy of ${source}`);
    }
    tf.dispose([...trained.values(), ...stacked.values()]);
    // Both models compute; the grown one differs (more layers) but reads the same embeddings.
    const output = grown.forward(batch);
    assert.deepEqual(output.shape, [batch.batchSize, batch.length, model.config.hiddenSize]);
    output.dispose();

    // Updating one model changes nothing in the other, dense variables and table blocks alike.
    const query = "encoder.layer.0.attention.self.query.weight";
    const originalQuery = model.parameters.get(query)!.arraySync();
    const originalWords = model.wordEmbeddings.blocks[0]!.arraySync();
    const ones = tf.onesLike(grown.parameters.get(query)!);
    grown.parameters.get(query)!.assign(ones);
    ones.dispose();
    const ids = Int32Array.from([3, 4]);
    const newRows = tf.ones([2, model.config.hiddenSize]) as tf.Tensor2D;
    grown.wordEmbeddings.scatterRows(ids, newRows);
    newRows.dispose();
    assert.deepEqual(model.parameters.get(query)!.arraySync(), originalQuery, "the trained query weight is untouched");
    assert.deepEqual(
      model.wordEmbeddings.blocks[0]!.arraySync(),
      originalWords,
      "the trained word embeddings are untouched",
    );
    const copy = "encoder.layer.2.attention.self.query.weight";
    assert.deepEqual(
      grown.parameters.get(copy)!.arraySync(),
      originalQuery,
      "the stacked copy of the updated layer is its own variable",
    );
    const zeros = tf.zerosLike(model.parameters.get(query)!);
    model.parameters.get(query)!.assign(zeros);
    zeros.dispose();
    assert.equal(
      tf.tidy(() => tf.min(grown.parameters.get(query)!).dataSync()[0]),
      1,
      "updating the trained model leaves the grown one",
    );

    grown.dispose();
    model.dispose();
    assert.equal(tf.memory().numTensors, before, "growing leaks no tensor");
  });

  // tfjs's CPU kernel for tensorScatterUpdate writes into its input's buffer; the table must not let it.
  test(`updating table rows leaves snapshots of the table and the tensor it came from intact on ${backend}`, async () => {
    await useBackend(backend);
    const source = tf.zeros([4, 2]) as tf.Tensor2D;
    const table = EmbeddingTable.fromTensor("table", source);
    const snapshot = table.toTensor();
    const ones = tf.ones([1, 2]) as tf.Tensor2D;
    table.scatterRows(Int32Array.from([1]), ones);
    const after = table.toTensor();
    assert.deepEqual(after.arraySync()[1], [1, 1]);
    assert.deepEqual(snapshot.arraySync()[1], [0, 0], "an earlier snapshot keeps its values");
    assert.deepEqual(source.arraySync()[1], [0, 0], "the source tensor keeps its values");
    tf.dispose([source, snapshot, ones, after]);
    table.dispose();
  });
}

test("growing refuses to shrink and handles a non-doubling step layer by layer", async () => {
  await useBackend("js");
  const model = tinyTransformer(1, { numHiddenLayers: 2 });
  assert.throws(() => growTransformer(model, 2), /above the current 2/);
  const grown = growTransformer(model, 3);
  assert.deepEqual(
    grown.parameters.get("encoder.layer.2.output.dense.weight")!.arraySync(),
    model.parameters.get("encoder.layer.0.output.dense.weight")!.arraySync(),
  );
  grown.dispose();
  model.dispose();
});
