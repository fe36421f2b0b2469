import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import type { SentenceEncoder } from "../src/model/sentence-encoder.js";
import { AdamW } from "../src/train/adamw.js";
import { DualEncoderTrainer } from "../src/train/dual-encoder.js";
import { BatchCycle, EpochOrders, epochOrder, hashSeed } from "../src/train/epoch-order.js";
import type { TrainingObjective } from "../src/train/objectives/objective.js";
import { Trainer } from "../src/train/trainer.js";
import { trainingStep } from "../src/train/training-step.js";
import { useBackend } from "./helpers/backends.js";

// The batch orders below were printed by the three loops before they shared `epochOrder`
// (Trainer's and DualEncoderTrainer's `batchAt`, Pretrainer's private batch cycle). They pin
// the orders a seed gives, so that checkpoints written before still resume to the same batches.

const objective = (name: string, size: number) =>
  ({ name, size, parameters: () => new Map(), dispose() {} }) as unknown as TrainingObjective;

test("Trainer: objectives take turns, each in epochOrder(size, seed, epoch, objective index), as before", () => {
  const trainer = new Trainer({} as never, [objective("a", 7), objective("b", 10)], {
    batchSize: 3,
    epochs: 3,
    learningRate: 1e-3,
    seed: 42,
  });
  const batches = Array.from({ length: trainer.totalSteps }, (_, step) => {
    const { objective, epoch, indices } = trainer.batchAt(step);
    return [objective.name, epoch, indices];
  });
  assert.deepEqual(batches, [
    ["a", 0, [0, 4, 2]],
    ["b", 0, [6, 7, 2]],
    ["a", 0, [6, 5, 1]],
    ["b", 0, [8, 4, 5]],
    ["a", 1, [3, 4, 0]],
    ["b", 1, [4, 7, 1]],
    ["a", 1, [1, 5, 6]],
    ["b", 1, [9, 2, 6]],
    ["a", 2, [5, 1, 3]],
    ["b", 2, [3, 8, 5]],
    ["a", 2, [4, 0, 2]],
    ["b", 2, [0, 2, 9]],
  ]);
  assert.deepEqual(epochOrder(10, 42, 1, 1).slice(0, 6), [4, 7, 1, 9, 2, 6]);
});

test("DualEncoderTrainer: pairs in epochOrder(pairs, seed, epoch), no stream, as before", () => {
  const pairs = Array.from({ length: 12 }, (_, index) => ({ source: `s${index}`, target: `t${index}` }));
  const loss = { margin: 0.3, scale: 10, reduction: "sum" as const };
  const options = {
    batchSize: 5,
    chunkSize: 2,
    epochs: 2,
    learningRate: 1e-3,
    warmupRatio: 0,
    weightDecay: 0,
    maxGradNorm: 1,
    loss,
    seed: 5,
  };
  const trainer = new DualEncoderTrainer({} as SentenceEncoder, pairs, options);
  const batches = Array.from({ length: trainer.totalSteps }, (_, step) => {
    const { epoch, indices } = trainer.batchAt(step);
    return [epoch, indices];
  });
  assert.deepEqual(batches, [
    [1, [8, 2, 7, 10, 9]],
    [1, [6, 4, 0, 1, 11]],
    [1, [3, 5]],
    [2, [4, 0, 7, 6, 5]],
    [2, [9, 10, 8, 3, 2]],
    [2, [1, 11]],
  ]);
  trainer.dispose();
});

test("Pretrainer's batch cycle: endless passes in epochOrder(items, hashSeed(seed, task), pass), as before", () => {
  const sentences = new BatchCycle(
    Array.from({ length: 11 }, (_, index) => 100 + index),
    hashSeed(11, 1),
  );
  assert.deepEqual(
    Array.from({ length: 8 }, (_, index) => sentences.batch(index, 4)),
    [
      [101, 104, 109, 105],
      [103, 110, 102, 100],
      [106, 108, 107, 106],
      [104, 103, 101, 110],
      [107, 109, 108, 105],
      [102, 100, 107, 101],
      [110, 102, 105, 104],
      [109, 103, 106, 108],
    ],
  );
  const pairs = new BatchCycle(
    Array.from({ length: 7 }, (_, index) => 200 + index),
    hashSeed(11, 2),
  );
  assert.deepEqual(
    Array.from({ length: 4 }, (_, index) => pairs.batch(index, 4)),
    [
      [206, 201, 202, 200],
      [204, 203, 205, 206],
      [202, 201, 205, 200],
      [204, 203, 205, 204],
    ],
  );
  // A batch larger than the data holds each item once, a pass per batch.
  assert.deepEqual(
    Array.from({ length: 3 }, (_, index) => pairs.batch(index, 9)),
    [
      [206, 201, 202, 200, 204, 203, 205],
      [206, 202, 201, 205, 200, 204, 203],
      [205, 204, 201, 202, 203, 206, 200],
    ],
  );
});

test("epochOrder is a pure permutation of (seed, epoch, stream), and EpochOrders only caches it", () => {
  const order = epochOrder(50, 3, 2);
  assert.deepEqual(
    [...order].sort((a, b) => a - b),
    Array.from({ length: 50 }, (_, index) => index),
  );
  assert.deepEqual(epochOrder(50, 3, 2), order);
  assert.notDeepEqual(epochOrder(50, 3, 3), order, "each epoch has its own order");
  assert.notDeepEqual(epochOrder(50, 3, 2, 0), order, "a stream, even 0, has its own order");
  const orders = new EpochOrders(3);
  assert.deepEqual(orders.of(50, 2), order);
  assert.deepEqual(orders.of(50, 2, 1), epochOrder(50, 3, 2, 1));
  assert.deepEqual(orders.of(50, 0), epochOrder(50, 3, 0));
  assert.deepEqual(orders.of(50, 2), order, "going back to an epoch recomputes the same order");
});

test("the step skeleton: schedule at the given index, the loop's own record fields, one message for a non-finite loss", async () => {
  await useBackend("js");
  const weight = tf.variable(tf.tensor1d([1, 2]));
  const loop = {
    step: 4,
    optimizer: new AdamW({ learningRate: 0.1, weightDecay: 0 }),
    options: { maxGradNorm: 1 },
    parameters: () => new Map([["weight", weight]]),
  };
  const schedule = { name: "warmup-linear" as const, learningRate: 0.1, warmupSteps: 2, totalSteps: 10 };
  const gradients = (loss: number) => () => ({
    loss: tf.scalar(loss),
    dense: new Map([["weight", tf.tensor1d([3, 4])]]),
    sparse: [],
  });
  const record = trainingStep(loop, () => ({
    lossName: "toy",
    schedule,
    scheduleStep: 1,
    gradients: gradients(0.5),
    record: { epoch: 7 },
  }));
  const afterFirst = tf.memory().numTensors; // the weight and AdamW's moments
  assert.equal(loop.step, 5);
  assert.deepEqual(
    { ...record, seconds: 0 },
    { epoch: 7, step: 5, loss: 0.5, learningRate: 0.05, gradientNorm: 5, seconds: 0 },
  );
  assert.ok(record.seconds >= 0);
  assert.equal(
    trainingStep(loop, () => ({ lossName: "toy", schedule, gradients: gradients(1), record: {} })).learningRate,
    0.1 * (1 - 3 / 8),
    "the loop's step by default",
  );
  assert.throws(
    () => trainingStep(loop, () => ({ lossName: "toy", schedule, gradients: gradients(Number.NaN), record: {} })),
    { message: "the toy loss became NaN at step 7; lower the learning rate" },
  );
  assert.equal(tf.memory().numTensors, afterFirst, "a step, failed or not, releases its gradients and loss");
  loop.optimizer.dispose();
  weight.dispose();
});
