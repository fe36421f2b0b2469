import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { SoftmaxClassifier } from "../src/losses/softmax.js";
import { DistillationObjective } from "../src/train/objectives/distillation.js";
import { DualEncoderTrainer } from "../src/train/dual-encoder.js";
import { ClassificationObjective } from "../src/train/objectives/classification.js";
import { RegressionObjective } from "../src/train/objectives/regression.js";
import { TripletObjective } from "../src/train/objectives/triplet.js";
import { Trainer } from "../src/train/trainer.js";
import { useBackend } from "./helpers/backends.js";
import { tinyEncoder, tinySentences } from "./helpers/tiny-encoder.js";

/**
 * Every way a tensor's values reach the host. On a GPU each one waits for the
 * queue to drain, so a training step may read once: the loss it logs (read
 * together with the gradient norm).
 */
const readers = ["dataSync", "data", "arraySync", "array", "bufferSync", "buffer"] as const;

async function countReads<T>(run: () => T | Promise<T>): Promise<{ result: T; reads: Record<string, number> }> {
  const prototype = tf.Tensor.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const originals = readers.map((name) => prototype[name]!);
  const reads: Record<string, number> = {};
  readers.forEach((name, index) => {
    prototype[name] = function (this: tf.Tensor, ...args: unknown[]) {
      reads[name] = (reads[name] ?? 0) + 1;
      return originals[index]!.apply(this, args);
    };
  });
  try {
    return { result: await run(), reads };
  } finally {
    readers.forEach((name, index) => (prototype[name] = originals[index]!));
  }
}

const total = (reads: Record<string, number>) => Object.values(reads).reduce((a, b) => a + b, 0);
const pairs = tinySentences.flatMap((a, i) =>
  tinySentences.map((b, j) => ({ sentence1: a, sentence2: b, score: i === j ? 1 : 0.25, label: (i + j) % 3 })),
);

test("a training step reads the device once: the loss with the gradient norm, for every siamese objective and distillation", async () => {
  await useBackend("wasm");
  const encoder = await tinyEncoder(3);
  const teacher = (sentence: string) =>
    Array.from({ length: encoder.dimension }, (_, i) => Math.sin(sentence.length + i));
  const trainer = new Trainer(
    encoder,
    [
      new RegressionObjective(encoder, pairs),
      new ClassificationObjective(encoder, pairs, SoftmaxClassifier.initialize(encoder.dimension, 3, 7)),
      new TripletObjective(
        encoder,
        tinySentences.map((anchor, i) => ({ anchor, positive: anchor, negative: tinySentences[(i + 5) % 12]! })),
      ),
      new DistillationObjective(
        encoder,
        tinySentences.map((source, i) => ({
          source,
          target: tinySentences[(i + 1) % 12]!,
          teacher: Float32Array.from(teacher(source)),
        })),
      ),
    ],
    { batchSize: 4, epochs: 1, maxSteps: 8, learningRate: 1e-3, warmupSteps: 1, maxGradNorm: 1, seed: 1 },
  );
  trainer.trainStep(); // the first step creates the optimizer's moments
  for (let step = 0; step < 4; step++) {
    const { result, reads } = await countReads(() => trainer.trainStep());
    assert.equal(total(reads), 1, `${result.objective}: ${JSON.stringify(reads)}`);
    assert.ok(
      Number.isFinite(result.loss) && Number.isFinite(result.gradientNorm),
      `${result.objective} logs its loss and norm`,
    );
  }
  trainer.dispose();
  encoder.dispose();
});

test("a dual-encoder step with gradient caching reads the device once", async () => {
  await useBackend("wasm");
  const encoder = await tinyEncoder(3, { pooling: "cls", normalize: true });
  const trainer = new DualEncoderTrainer(
    encoder,
    tinySentences.map((source, i) => ({ source, target: tinySentences[(i + 1) % 12]! })),
    {
      batchSize: 6,
      chunkSize: 2,
      epochs: 2,
      learningRate: 1e-3,
      warmupRatio: 0.2,
      weightDecay: 0.01,
      maxGradNorm: 1,
      loss: { margin: 0.3, scale: 10, reduction: "sum" },
      seed: 5,
    },
  );
  trainer.trainStep();
  for (let step = 0; step < 2; step++) {
    const { result, reads } = await countReads(() => trainer.trainStep());
    assert.equal(total(reads), 1, JSON.stringify(reads));
    assert.ok(Number.isFinite(result.loss));
  }
  trainer.dispose();
  encoder.dispose();
});
