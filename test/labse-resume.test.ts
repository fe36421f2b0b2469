import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { loadTrainingCheckpoint, saveTrainingCheckpoint } from "../src/io/training-checkpoint.js";
import { DualEncoderTrainer, type DualEncoderOptions } from "../src/train/dual-encoder.js";
import { Pretrainer, type PretrainingData, type PretrainingOptions } from "../src/train/pretraining.js";
import type { Resumable } from "../src/train/resumable.js";
import { Random } from "../src/util/random.js";
import { useBackend } from "./helpers/backends.js";
import { tinyConfig } from "./helpers/tiny.js";
import { tinyEncoder, tinySentences } from "./helpers/tiny-encoder.js";

// A run stopped at step k, checkpointed, and resumed in a fresh process-like object must take
// the same batches, masks and dropout as an uninterrupted one: every later loss and every
// final weight is compared bit for bit.

let work: string;
before(async () => {
  await useBackend("wasm");
  work = await mkdtemp(path.join(tmpdir(), "babelbed-resume-"));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

interface Loop<State extends object> extends Resumable<State> {
  trainStep(): { loss: number };
  dispose(): void;
}

async function weights(loop: Loop<object>): Promise<Map<string, Float32Array>> {
  const result = new Map<string, Float32Array>();
  for (const [name, variable] of loop.parameters()) result.set(name, (await variable.data()) as Float32Array);
  for (const table of loop.sparseTables()) {
    const tensor = table.toTensor();
    result.set(table.name, (await tensor.data()) as Float32Array);
    tensor.dispose();
  }
  return result;
}

/** Losses of every step and the final weights: straight through, and stopped after `stopAfter` then resumed. */
async function compareResumed<State extends object>(
  build: () => Promise<Loop<State>>,
  stopAfter: number,
  directory: string,
): Promise<void> {
  const straight = await build();
  const straightLosses: number[] = [];
  while (straight.step < straight.totalSteps) straightLosses.push(straight.trainStep().loss);
  const expected = await weights(straight);
  straight.dispose();

  const first = await build();
  const resumedLosses: number[] = [];
  while (first.step < stopAfter) resumedLosses.push(first.trainStep().loss);
  await saveTrainingCheckpoint(directory, first);
  first.dispose();

  const tensorsBefore = tf.memory().numTensors;
  const second = await build();
  await loadTrainingCheckpoint(directory, second);
  assert.equal(second.step, stopAfter);
  while (second.step < second.totalSteps) resumedLosses.push(second.trainStep().loss);
  assert.deepEqual(resumedLosses, straightLosses, "every loss after the resume equals the uninterrupted run's");
  const actual = await weights(second);
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
  for (const [name, values] of expected) assert.deepEqual(actual.get(name), values, `${name} is bit-identical`);
  second.dispose();
  assert.ok(tf.memory().numTensors <= tensorsBefore, "restoring and training leaked no tensor");
}

function pretrainingFixture(): { data: PretrainingData; options: PretrainingOptions } {
  const random = new Random(7);
  const ids = (length: number) => Array.from({ length }, () => 5 + random.integer(35));
  const data: PretrainingData = {
    sentences: Array.from({ length: 11 }, () => ids(3 + random.integer(6))),
    pairs: Array.from(
      { length: 7 },
      () => [ids(2 + random.integer(4)), ids(2 + random.integer(4))] as [number[], number[]],
    ),
  };
  const options: PretrainingOptions = {
    config: tinyConfig({
      numHiddenLayers: 4,
      hiddenDropoutProb: 0.1,
      attentionProbsDropoutProb: 0.1,
      maxPositionEmbeddings: 32,
    }),
    stages: [
      { layers: 1, steps: 3 },
      { layers: 2, steps: 3 },
      { layers: 4, steps: 3 },
    ],
    special: { cls: 1, sep: 2, pad: 0, mask: 3, others: [4] },
    batchSize: 4,
    learningRate: 1e-2,
    warmupRatio: 0.3,
    weightDecay: 0.01,
    maxGradNorm: 1,
    maskProbability: 0.3,
    seed: 11,
  };
  return { data, options };
}

for (const stopAfter of [3, 4, 7]) {
  test(`pre-training stopped after step ${stopAfter} of 9 (stages 1 → 2 → 4 layers) resumes bit-identically`, async () => {
    const { data, options } = pretrainingFixture();
    await compareResumed(
      async () => new Pretrainer(data, options),
      stopAfter,
      path.join(work, `pretraining-${stopAfter}`),
    );
  });
}

test("a pre-training checkpoint holds the encoder at the depth of its stage", async () => {
  const { data, options } = pretrainingFixture();
  const pretrainer = new Pretrainer(data, options);
  while (pretrainer.step < 4) pretrainer.trainStep();
  const names = [...pretrainer.parameters().keys()];
  assert.ok(
    names.some((name) => name.includes("layer.1.")) && !names.some((name) => name.includes("layer.2.")),
    "two layers in stage 2",
  );
  pretrainer.dispose();
});

const dualOptions: DualEncoderOptions = {
  batchSize: 5,
  chunkSize: 2,
  epochs: 2,
  learningRate: 5e-3,
  warmupRatio: 0.2,
  weightDecay: 0.01,
  maxGradNorm: 1,
  loss: { margin: 0.3, scale: 10, reduction: "sum" },
  seed: 5,
};
// 12 pairs in batches of 5: 5, 5 and a last batch of 2 (a batch of one would be left out).
const pairs = tinySentences.map((sentence, index) => ({
  source: sentence,
  target: tinySentences[(index + 1) % tinySentences.length]!,
}));

test("the dual encoder's steps per epoch leave out a one-pair batch only", async () => {
  const encoder = await tinyEncoder(3);
  const trainer = new DualEncoderTrainer(encoder, pairs, dualOptions);
  assert.equal(trainer.batchesPerEpoch, 3);
  assert.equal(trainer.totalSteps, 6);
  assert.deepEqual(
    [0, 1, 2, 3].map((step) => trainer.batchAt(step).indices.length),
    [5, 5, 2, 5],
  );
  const epoch = [0, 1, 2].flatMap((step) => trainer.batchAt(step).indices).sort((a, b) => a - b);
  assert.deepEqual(
    epoch,
    pairs.map((_, index) => index),
    "an epoch sees every pair once",
  );
  assert.notDeepEqual(trainer.batchAt(3).indices, trainer.batchAt(0).indices, "each epoch has its own order");
  trainer.dispose();
  encoder.dispose();
});

test("dual-encoder training stopped mid-epoch resumes bit-identically (dropout on)", async () => {
  await compareResumed(
    async () => {
      const encoder = await tinyEncoder(3, { pooling: "cls", normalize: true });
      encoder.transformer.config.hiddenDropoutProb = 0.1;
      const trainer = new DualEncoderTrainer(encoder, pairs, dualOptions);
      const dispose = trainer.dispose.bind(trainer);
      trainer.dispose = () => {
        dispose();
        encoder.dispose();
      };
      return trainer;
    },
    4,
    path.join(work, "dual-encoder"),
  );
});
