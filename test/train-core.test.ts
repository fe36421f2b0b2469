import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import { EmbeddingTable, type SparseLookup } from "../src/model/embedding.js";
import { pool } from "../src/model/pooling.js";
import { AdamW } from "../src/train/adamw.js";
import { clipGlobalNorm } from "../src/train/clip.js";
import { computeGradients, disposeGradients, type Gradients } from "../src/train/gradients.js";
import { learningRateAt } from "../src/train/schedule.js";
import { Random } from "../src/util/random.js";
import { testBackends, useBackend } from "./helpers/backends.js";
import { randomBatch, readScalar, tinyTransformer } from "./helpers/tiny.js";

test("AdamW matches a hand-computed torch update, with decay skipped for biases and LayerNorm", async () => {
  await useBackend("js");
  const weight = tf.variable(tf.tensor1d([1, -2]));
  const bias = tf.variable(tf.tensor1d([0.5]));
  const optimizer = new AdamW({ learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.5 });
  const parameters = new Map([
    ["dense.weight", weight],
    ["dense.bias", bias],
  ]);
  const gradients = (g: number[], b: number[]): Gradients => ({
    loss: tf.scalar(0),
    dense: new Map([
      ["dense.weight", tf.tensor1d(g)],
      ["dense.bias", tf.tensor1d(b)],
    ]),
    sparse: [],
  });
  // Step 1: m = 0.1 g, v = 0.001 g², m̂ = g, v̂ = g², update = lr · g/(|g| + eps) ≈ ±lr.
  let step = gradients([0.2, -0.4], [1]);
  optimizer.apply(parameters, step);
  disposeGradients(step);
  // weight decays first: 1 · (1 − 0.1·0.5) = 0.95, then − 0.1 → 0.85; −2 · 0.95 = −1.9, + 0.1 → −1.8.
  assert.deepEqual(
    Array.from(weight.dataSync()).map((x) => +x.toFixed(6)),
    [0.85, -1.8],
  );
  assert.deepEqual(
    Array.from(bias.dataSync()).map((x) => +x.toFixed(6)),
    [0.4],
  );
  // Step 2 with gradient 0 for the bias: m = 0.09, v = 0.000999; m̂ = 0.09/0.19, v̂ = 0.000999/0.001999.
  step = gradients([0.2, -0.4], [0]);
  optimizer.apply(parameters, step);
  disposeGradients(step);
  const expectedBias = 0.4 - (0.1 * (0.09 / 0.19)) / (Math.sqrt(0.000999 / 0.001999) + 1e-8);
  assert.ok(Math.abs(bias.dataSync()[0]! - expectedBias) < 1e-6);
  optimizer.dispose();
  tf.dispose([weight, bias]);
});

test("the warm-up/linear-decay schedule follows HF's get_linear_schedule_with_warmup", () => {
  const options = { name: "warmup-linear" as const, learningRate: 1, warmupSteps: 10, totalSteps: 110 };
  assert.equal(learningRateAt(options, 0), 0);
  assert.equal(learningRateAt(options, 5), 0.5);
  assert.equal(learningRateAt(options, 10), 1);
  assert.equal(learningRateAt(options, 60), 0.5);
  assert.equal(learningRateAt(options, 110), 0);
  assert.equal(learningRateAt(options, 500), 0);
  assert.equal(learningRateAt({ ...options, name: "warmup-cosine" }, 60), 0.5);
  assert.equal(learningRateAt({ ...options, name: "constant" }, 0), 1);
});

test("global-norm clipping scales dense and row gradients together", async () => {
  await useBackend("js");
  const table = EmbeddingTable.fromTensor("table", tf.zeros([4, 2]) as tf.Tensor2D);
  const gradients: Gradients = {
    loss: tf.scalar(0),
    dense: new Map([["a", tf.tensor1d([3, 0])]]),
    sparse: [{ table, ids: Int32Array.from([1]), gradient: tf.tensor2d([[0, 4]]) }],
  };
  const norm = clipGlobalNorm(gradients, 1);
  assert.ok(Math.abs(norm - 5) < 1e-6);
  assert.ok(Math.abs(gradients.dense.get("a")!.dataSync()[0]! - 0.6) < 1e-5);
  assert.ok(Math.abs(gradients.sparse[0]!.gradient.dataSync()[1]! - 0.8) < 1e-5);
  assert.ok(
    Math.abs(clipGlobalNorm(gradients, 10) - 1) < 1e-5,
    "clipped gradients have norm maxNorm, and a larger limit leaves them",
  );
  assert.ok(Math.abs(gradients.dense.get("a")!.dataSync()[0]! - 0.6) < 1e-5);
  disposeGradients(gradients);
  table.dispose();
});

for (const backend of testBackends) {
  test(`every parameter's gradient is finite and agrees with central finite differences on ${backend}`, async () => {
    await useBackend(backend);
    const model = tinyTransformer(7);
    const random = new Random(3);
    const batch = randomBatch(random, model.config.vocabSize, 3, 6);
    const target = tf.tensor2d(Array.from({ length: 3 }, () => Array.from({ length: 8 }, () => random.normal())));
    const ids = new Map([[model.wordEmbeddings, [batch.inputIds]]]);
    const mask = tf.tensor2d(batch.attentionMask, [batch.batchSize, batch.length], "int32");
    const loss = (sparse: SparseLookup) =>
      tf.tidy(
        () => tf.mean(tf.square(tf.sub(pool(model.forward(batch, { sparse }), mask, "mean"), target))) as tf.Scalar,
      );
    const gradients = computeGradients(model, ids, loss);
    const lossAt = () => tf.tidy(() => readScalar(loss(new Map())));
    const epsilon = 1e-2;
    const check = (label: string, analytic: number, perturb: (delta: number) => void) => {
      perturb(epsilon);
      const up = lossAt();
      perturb(-2 * epsilon);
      const down = lossAt();
      perturb(epsilon);
      const numeric = (up - down) / (2 * epsilon);
      assert.ok(Number.isFinite(analytic), `${label}: finite`);
      assert.ok(
        Math.abs(numeric - analytic) < 2e-3 + 2e-2 * Math.abs(numeric),
        `${label}: analytic ${analytic} vs numeric ${numeric}`,
      );
    };
    for (const [name, variable] of model.trainableParameters()) {
      const gradient = gradients.dense.get(name);
      assert.ok(gradient, `${name} has a gradient`);
      const values = gradient.dataSync();
      assert.ok(values.every(Number.isFinite), `${name}: all finite`);
      // The largest entry and two random ones: a wrong gradient cannot hide in near-zero entries.
      let largest = 0;
      values.forEach((value, index) => {
        if (Math.abs(value) > Math.abs(values[largest]!)) largest = index;
      });
      for (const index of [largest, random.integer(values.length), random.integer(values.length)]) {
        check(`${name}[${index}]`, values[index]!, (delta) => {
          const flat = variable.dataSync().slice();
          flat[index] += delta;
          variable.assign(tf.tensor(flat, variable.shape));
        });
      }
    }
    const rows = gradients.sparse[0]!;
    const rowValues = rows.gradient.arraySync();
    rows.ids.forEach((id, row) => {
      const column = random.integer(8);
      check(`word row ${id}[${column}]`, rowValues[row]![column]!, (delta) => {
        const current = model.wordEmbeddings.gatherRows(Int32Array.from([id]));
        const next = tf.tidy(() =>
          tf.add(current, tf.oneHot(tf.tensor1d([column], "int32"), 8).mul(delta)),
        ) as tf.Tensor2D;
        model.wordEmbeddings.scatterRows(Int32Array.from([id]), next);
        tf.dispose([current, next]);
      });
    });
    disposeGradients(gradients);
    tf.dispose([target, mask]);
    model.dispose();
  });

  test(`tf.memory().numTensors stays flat over 50 training steps on ${backend}`, async () => {
    await useBackend(backend);
    const model = tinyTransformer(2, { hiddenDropoutProb: 0.1, attentionProbsDropoutProb: 0.1 });
    const optimizer = new AdamW({ learningRate: 1e-3 });
    const random = new Random(5);
    const counts: number[] = [];
    for (let step = 0; step < 50; step++) {
      const batch = randomBatch(random, model.config.vocabSize, 4, 8);
      const mask = tf.tensor2d(batch.attentionMask, [batch.batchSize, batch.length], "int32");
      const gradients = computeGradients(model, new Map([[model.wordEmbeddings, [batch.inputIds]]]), (sparse) =>
        tf.tidy(
          () =>
            tf.mean(
              tf.square(pool(model.forward(batch, { sparse, training: true, random }), mask, "mean")),
            ) as tf.Scalar,
        ),
      );
      clipGlobalNorm(gradients, 1);
      optimizer.apply(model.trainableParameters(), gradients);
      disposeGradients(gradients);
      mask.dispose();
      counts.push(tf.memory().numTensors);
    }
    assert.equal(new Set(counts.slice(1)).size, 1, `tensor counts after step 1: ${[...new Set(counts)].join(", ")}`);
    optimizer.dispose();
    model.dispose();
  });
}

test("a training step on a 250,000-row vocabulary never allocates a [vocab, hidden] tensor", async () => {
  await useBackend("js");
  const vocabSize = 250_000;
  const hidden = 256;
  const model = tinyTransformer(1, {
    vocabSize: 1000,
    hiddenSize: hidden,
    numAttentionHeads: 4,
    numHiddenLayers: 1,
    intermediateSize: 64,
  });
  // Swap in a full-size table without paying for a JS-side initialisation of 64M values.
  model.wordEmbeddings.dispose();
  const values = tf.randomNormal([vocabSize, hidden], 0, 0.02, "float32", 1) as tf.Tensor2D;
  const table = EmbeddingTable.fromTensor("embeddings.word_embeddings.weight", values);
  values.dispose();
  (model as { wordEmbeddings: EmbeddingTable }).wordEmbeddings = table;
  const tableBytes = vocabSize * hidden * 4;
  const optimizer = new AdamW({ learningRate: 1e-3 });
  const random = new Random(9);
  const step = () => {
    const batch = randomBatch(random, vocabSize, 8, 12);
    const mask = tf.tensor2d(batch.attentionMask, [batch.batchSize, batch.length], "int32");
    const gradients = computeGradients(model, new Map([[table, [batch.inputIds]]]), (sparse) =>
      tf.tidy(() => tf.mean(tf.square(pool(model.forward(batch, { sparse }), mask, "mean"))) as tf.Scalar),
    );
    optimizer.apply(model.trainableParameters(), gradients);
    disposeGradients(gradients);
    mask.dispose();
  };
  step(); // creates the optimizer's moment tables, block by block
  const profile = await tf.profile(step);
  const wholeTable = profile.kernels.filter((kernel) =>
    kernel.outputShapes.some((shape) => shape !== undefined && shape[0] === vocabSize && shape[1] === hidden),
  );
  assert.deepEqual(
    wholeTable.map((kernel) => kernel.name),
    [],
    "no kernel produces a [vocab, hidden] tensor",
  );
  assert.ok(
    profile.peakBytes - tf.memory().numBytes < tableBytes / 8,
    `peak growth ${profile.peakBytes - tf.memory().numBytes} bytes vs table ${tableBytes}`,
  );
  optimizer.dispose();
  model.dispose();
});

test("a seed makes initialisation, batches and dropout repeatable, bit for bit", async () => {
  await useBackend("js");
  const run = (seed: number) => {
    const model = tinyTransformer(seed, { hiddenDropoutProb: 0.2, attentionProbsDropoutProb: 0.2 });
    const optimizer = new AdamW({ learningRate: 1e-2 });
    const random = new Random(seed);
    for (let step = 0; step < 5; step++) {
      const batch = randomBatch(random, model.config.vocabSize, 4, 8);
      const mask = tf.tensor2d(batch.attentionMask, [batch.batchSize, batch.length], "int32");
      const gradients = computeGradients(model, new Map([[model.wordEmbeddings, [batch.inputIds]]]), (sparse) =>
        tf.tidy(
          () =>
            tf.mean(
              tf.square(pool(model.forward(batch, { sparse, training: true, random }), mask, "mean")),
            ) as tf.Scalar,
        ),
      );
      optimizer.apply(model.trainableParameters(), gradients);
      disposeGradients(gradients);
      mask.dispose();
    }
    const named = model.namedTensors();
    const values = [...named.values()].flatMap((tensor) => Array.from(tensor.dataSync()));
    tf.dispose([...named.values()]);
    optimizer.dispose();
    model.dispose();
    return values;
  };
  const first = run(11);
  assert.deepEqual(run(11), first);
  assert.notDeepEqual(run(12), first);
});
