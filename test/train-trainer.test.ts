import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { loadTrainingCheckpoint, saveTrainingCheckpoint } from "../src/io/training-checkpoint.js";
import { SoftmaxClassifier } from "../src/losses/softmax.js";
import { ClassificationObjective } from "../src/train/objectives/classification.js";
import { RegressionObjective } from "../src/train/objectives/regression.js";
import { TripletObjective } from "../src/train/objectives/triplet.js";
import { Trainer, type TrainerOptions } from "../src/train/trainer.js";
import { useBackend } from "./helpers/backends.js";
import { tinyEncoder, tinySentences } from "./helpers/tiny-encoder.js";
import type { SentenceEncoder } from "../src/model/sentence-encoder.js";

const pairs = tinySentences.flatMap((a, i) =>
  tinySentences.map((b, j) => ({
    sentence1: a,
    sentence2: b,
    score: i === j ? 1 : (i + j) % 3 === 0 ? 0.5 : 0,
    label: (i + j) % 3,
  })),
);
const triplets = tinySentences.map((anchor, i) => ({
  anchor,
  positive: anchor,
  negative: tinySentences[(i + 5) % tinySentences.length]!,
}));
const options: TrainerOptions = {
  batchSize: 8,
  epochs: 1,
  maxSteps: 12,
  learningRate: 5e-3,
  warmupSteps: 2,
  maxGradNorm: 1,
  seed: 42,
};

function build(encoder: SentenceEncoder): Trainer {
  return new Trainer(
    encoder,
    [
      new RegressionObjective(encoder, pairs),
      new ClassificationObjective(encoder, pairs, SoftmaxClassifier.initialize(encoder.dimension, 3, 7)),
      new TripletObjective(encoder, triplets),
    ],
    options,
  );
}

async function weights(encoder: SentenceEncoder, trainer: Trainer): Promise<number[]> {
  const values: number[] = [];
  for (const variable of trainer.parameters().values()) values.push(...(await variable.data()));
  const table = encoder.transformer.wordEmbeddings.toTensor();
  values.push(...(await table.data()));
  table.dispose();
  return values;
}

test("the trainer takes objectives in turn, keeps tensors flat, and lowers the regression loss", async () => {
  await useBackend("js");
  const encoder = await tinyEncoder(3);
  const trainer = new Trainer(
    encoder,
    [new RegressionObjective(encoder, pairs), new TripletObjective(encoder, triplets)],
    {
      ...options,
      maxSteps: 60,
      learningRate: 1e-2,
    },
  );
  const records: { objective: string; loss: number }[] = [];
  const counts: number[] = [];
  await trainer.train({
    onStep: (record) => {
      records.push(record);
      counts.push(tf.memory().numTensors);
    },
  });
  assert.deepEqual(
    records.slice(0, 4).map((record) => record.objective),
    ["regression", "triplet", "regression", "triplet"],
  );
  const regression = records.filter((record) => record.objective === "regression").map((record) => record.loss);
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  assert.ok(
    mean(regression.slice(-5)) < 0.7 * mean(regression.slice(0, 5)),
    `regression loss ${mean(regression.slice(0, 5))} → ${mean(regression.slice(-5))}`,
  );
  assert.equal(new Set(counts.slice(2)).size, 1, `tensor counts: ${[...new Set(counts)].join(", ")}`);
  trainer.dispose();
  encoder.dispose();
});

test("an interrupted run resumed from its checkpoint ends bit-identical to an uninterrupted one", async () => {
  await useBackend("js");
  const work = await mkdtemp(path.join(tmpdir(), "babelbed-resume-"));
  try {
    const straightEncoder = await tinyEncoder(5);
    const straight = build(straightEncoder);
    await straight.train();
    const expected = await weights(straightEncoder, straight);
    straight.dispose();
    straightEncoder.dispose();

    const firstEncoder = await tinyEncoder(5);
    const first = build(firstEncoder);
    let steps = 0;
    const outcome = await first.train({
      shouldStop: () => ++steps === 5,
      saveCheckpoint: async (trainer) => saveTrainingCheckpoint(path.join(work, "checkpoint"), trainer),
    });
    assert.equal(outcome, "interrupted");
    first.dispose();
    firstEncoder.dispose();

    const secondEncoder = await tinyEncoder(5);
    const second = build(secondEncoder);
    await loadTrainingCheckpoint(path.join(work, "checkpoint"), second);
    assert.equal(second.step, 5);
    await second.train();
    assert.deepEqual(await weights(secondEncoder, second), expected);
    second.dispose();
    secondEncoder.dispose();
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
