import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import type { TokenBatch } from "../src/model/batch.js";
import { EmbeddingTable } from "../src/model/embedding.js";
import { dropout } from "../src/model/layers.js";
import { Transformer } from "../src/model/transformer.js";
import { AdamW } from "../src/train/adamw.js";
import { clipGlobalNorm } from "../src/train/clip.js";
import type { Gradients } from "../src/train/gradients.js";
import { optimizerStep } from "../src/train/optimizer-step.js";
import { learningRateAt, warmupStepsFor, type ScheduleName } from "../src/train/schedule.js";
import { Trainer } from "../src/train/trainer.js";
import { Random } from "../src/util/random.js";
import { testBackends, useBackend } from "./helpers/backends.js";
import { repositoryRoot } from "./helpers/fixtures.js";
import { tinyConfig } from "./helpers/tiny.js";

// The parts of a training step around the optimizer, against numbers PyTorch produced
// (test/fixtures/torch-step.py wrote test/fixtures/torch-step.json with torch's LambdaLR,
// clip_grad_norm_, nn.functional.dropout and AdamW; see the script for what each is).

interface Fixture {
  torch: string;
  schedules: { name: ScheduleName; learningRate: number; warmupSteps: number; totalSteps: number; rates: number[] }[];
  warmupFromRatio: { totalSteps: number; ratio: number; warmupSteps: number }[];
  clipping: {
    maxNorm: number;
    gradients: Record<string, { shape: number[]; values: number[] }>;
    totalNorm: number;
    clipped: Record<string, number[]>;
  }[];
  dropout: { rate: number; x: number[]; survivors: number[]; count: number; kept: number }[];
  step: {
    rows: number;
    width: number;
    totalSteps: number;
    warmupSteps: number;
    learningRate: number;
    maxNorm: number;
    adamw: { betas: [number, number]; eps: number; weightDecay: number };
    start: Record<string, number[]>;
    steps: {
      ids: number[];
      rowGradient: number[];
      "dense.weight": number[];
      "dense.bias": number[];
      norm: number;
      learningRate: number;
      after: Record<string, number[]>;
    }[];
  };
}

const fixture = JSON.parse(
  readFileSync(path.join(repositoryRoot, "test", "fixtures", "torch-step.json"), "utf8"),
) as Fixture;

/** Largest |a − b| / (|b| + floor) over two arrays. */
function worstRelative(actual: ArrayLike<number>, expected: ArrayLike<number>, floor: number): number {
  assert.equal(actual.length, expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++)
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / (Math.abs(expected[i]!) + floor));
  return worst;
}

test("learning rates: update k uses HF's multiplier at k, bit for bit (LambdaLR, optimizer.step() then scheduler.step())", () => {
  for (const schedule of fixture.schedules) {
    const rates = schedule.rates.map((_, step) => learningRateAt(schedule, step));
    const label = `${schedule.name}, warm-up ${schedule.warmupSteps} of ${schedule.totalSteps} (torch ${fixture.torch})`;
    // V8's Math.cos (fdlibm) and the C library's cos may differ in the last bit: the cosine gets 1e-15.
    if (schedule.name === "warmup-cosine") assert.ok(worstRelative(rates, schedule.rates, 1e-30) < 1e-15, label);
    else assert.deepEqual(rates, schedule.rates, label);
  }
});

test("warm-up steps from a ratio round up, as HF's TrainingArguments.get_warmup_steps", () => {
  for (const { totalSteps, ratio, warmupSteps } of fixture.warmupFromRatio) {
    assert.equal(warmupStepsFor(totalSteps, ratio), warmupSteps, `${ratio} of ${totalSteps} steps`);
    // The trainer derives its own from the same rule; only the objectives' sizes matter to it.
    const objective = { name: "pairs", size: totalSteps * 2, dispose() {} } as unknown as ConstructorParameters<
      typeof Trainer
    >[1][number];
    const trainer = new Trainer({} as ConstructorParameters<typeof Trainer>[0], [objective], {
      batchSize: 2,
      epochs: 1,
      learningRate: 1e-3,
      warmupRatio: ratio,
      seed: 1,
    });
    assert.equal(trainer.totalSteps, totalSteps);
    assert.equal(trainer.warmupSteps, warmupSteps, `the trainer's warm-up for ${ratio} of ${totalSteps}`);
    trainer.dispose();
  }
});

for (const backend of testBackends) {
  test(`global-norm clipping equals torch.nn.utils.clip_grad_norm_ (norm, eps 1e-6, clamp at 1) on ${backend}`, async () => {
    await useBackend(backend);
    const before = tf.memory().numTensors;
    for (const [index, sample] of fixture.clipping.entries()) {
      const tableGradient = sample.gradients.table!;
      const [rows, width] = tableGradient.shape as [number, number];
      // The table's gradient arrives row-sparse: only the rows with a non-zero gradient, as a batch touches them.
      const ids = Array.from({ length: rows }, (_, row) => row).filter((row) =>
        tableGradient.values.slice(row * width, (row + 1) * width).some((value) => value !== 0),
      );
      const zeros = tf.zeros([rows, width]) as tf.Tensor2D;
      const table = EmbeddingTable.fromTensor("table", zeros);
      zeros.dispose();
      const gradients: Gradients = {
        loss: tf.scalar(0),
        dense: new Map(
          ["dense.weight", "dense.bias"].map((name) => [
            name,
            tf.tensor(sample.gradients[name]!.values, sample.gradients[name]!.shape),
          ]),
        ),
        sparse:
          ids.length === 0
            ? []
            : [
                {
                  table,
                  ids: Int32Array.from(ids),
                  gradient: tf.tensor2d(
                    ids.flatMap((row) => tableGradient.values.slice(row * width, (row + 1) * width)),
                    [ids.length, width],
                  ),
                },
              ],
      };
      const norm = clipGlobalNorm(gradients, sample.maxNorm);
      assert.ok(
        Math.abs(norm - sample.totalNorm) <= 1e-6 * sample.totalNorm,
        `case ${index}: norm ${norm}, torch ${sample.totalNorm}`,
      );
      const clippedTable = new Float32Array(rows * width);
      if (gradients.sparse.length > 0) {
        const values = gradients.sparse[0]!.gradient.dataSync();
        ids.forEach((row, position) =>
          clippedTable.set(values.subarray(position * width, (position + 1) * width), row * width),
        );
      }
      // 2.5e-7 relative: float32 rounding, well below the 1e-6 that the eps alone takes off a gradient at the limit.
      assert.ok(worstRelative(clippedTable, sample.clipped.table!, 1e-12) < 2.5e-7, `case ${index}: table`);
      for (const name of ["dense.weight", "dense.bias"]) {
        assert.ok(
          worstRelative(gradients.dense.get(name)!.dataSync(), sample.clipped[name]!, 1e-12) < 2.5e-7,
          `case ${index}: ${name}`,
        );
      }
      tf.dispose([gradients.loss, ...gradients.dense.values(), ...gradients.sparse.map((rows) => rows.gradient)]);
      table.dispose();
    }
    assert.ok(tf.memory().numTensors <= before, "no tensors left behind");
  });

  test(`30 steps of schedule → clipping → exact AdamW on a row-sparse table and dense parameters equal torch's on ${backend}`, async () => {
    await useBackend(backend);
    const { rows, width, steps, start, adamw } = fixture.step;
    const startTable = tf.tensor2d(start.table!, [rows, width]);
    const table = EmbeddingTable.fromTensor("embeddings.word_embeddings.weight", startTable, 4);
    startTable.dispose();
    const parameters = new Map<string, tf.Variable>([
      ["dense.weight", tf.variable(tf.tensor2d(start["dense.weight"]!, [3, width]), true)],
      ["dense.bias", tf.variable(tf.tensor1d(start["dense.bias"]!), true)],
    ]);
    const optimizer = new AdamW({
      learningRate: fixture.step.learningRate,
      beta1: adamw.betas[0],
      beta2: adamw.betas[1],
      epsilon: adamw.eps,
      weightDecay: adamw.weightDecay,
    });
    const before = tf.memory().numTensors;
    const compare = (after: Record<string, number[]>, label: string) => {
      const current = table.toTensor();
      const worst = Math.max(
        worstRelative(current.dataSync(), after.table!, 1e-3),
        ...["dense.weight", "dense.bias"].map((name) =>
          worstRelative(parameters.get(name)!.dataSync(), after[name]!, 1e-3),
        ),
      );
      current.dispose();
      assert.ok(worst < 1e-5, `${label}: ${worst} (relative) from torch`);
    };
    steps.forEach((step, index) => {
      const learningRate = learningRateAt(
        {
          name: "warmup-linear",
          learningRate: fixture.step.learningRate,
          warmupSteps: fixture.step.warmupSteps,
          totalSteps: fixture.step.totalSteps,
        },
        index,
      );
      assert.equal(learningRate, step.learningRate, `learning rate of update ${index}`);
      const gradients: Gradients = {
        loss: tf.scalar(0),
        dense: new Map<string, tf.Tensor>([
          ["dense.weight", tf.tensor2d(step["dense.weight"], [3, width])],
          ["dense.bias", tf.tensor1d(step["dense.bias"])],
        ]),
        sparse: [
          { table, ids: Int32Array.from(step.ids), gradient: tf.tensor2d(step.rowGradient, [step.ids.length, width]) },
        ],
      };
      const { gradientNorm } = optimizerStep(optimizer, parameters, gradients, learningRate, fixture.step.maxNorm);
      assert.ok(
        Math.abs(gradientNorm - step.norm) <= 1e-6 * step.norm,
        `norm of step ${index}: ${gradientNorm}, torch ${step.norm}`,
      );
      if (index === 14 || index === steps.length - 1) compare(step.after, `after step ${index + 1}`);
    });
    optimizer.dispose();
    assert.ok(tf.memory().numTensors <= before, "no tensors left behind");
    table.dispose();
    for (const variable of parameters.values()) variable.dispose();
  });
}

test("dropout: a survivor is x · 1/(1 − p) rounded as torch rounds it, the kept share is torch's, evaluation is the identity", async () => {
  await useBackend("wasm");
  let seed = 3;
  for (const sample of fixture.dropout) {
    const x = tf.tensor2d(sample.x, [1, sample.x.length]);
    const tiled = tf.tile(x, [400, 1]);
    const dropped = dropout(tiled, sample.rate, true, () => seed++);
    const values = dropped.dataSync();
    for (let i = 0; i < values.length; i++) {
      const column = i % sample.x.length;
      if (values[i] !== 0)
        assert.equal(values[i], sample.survivors[column], `p ${sample.rate}: survivor of column ${column}`);
    }
    const ones = tf.ones([sample.count]);
    const mask = dropout(ones, sample.rate, true, () => seed++);
    let kept = 0;
    for (const value of mask.dataSync()) if (value !== 0) kept++;
    const keep = 1 - sample.rate;
    const sigma = Math.sqrt(sample.count * keep * sample.rate);
    assert.ok(Math.abs(kept - sample.count * keep) < 5 * sigma, `p ${sample.rate}: ${kept} kept of ${sample.count}`);
    assert.ok(
      Math.abs(kept - sample.kept) < 5 * Math.SQRT2 * sigma,
      `p ${sample.rate}: ${kept} kept, torch ${sample.kept}`,
    );
    assert.equal(
      dropout(x, sample.rate, false, () => seed++),
      x,
      "evaluation returns its input",
    );
    tf.dispose([x, tiled, dropped, ones, mask]);
  }
});

test("dropout off: a training forward pass with rates 0 equals the evaluation pass with rates 0.1, bit for bit", async () => {
  await useBackend("wasm");
  const withDropout = Transformer.initialize(tinyConfig({ hiddenDropoutProb: 0.1, attentionProbsDropoutProb: 0.1 }), 5);
  const withoutDropout = Transformer.initialize(tinyConfig(), 5);
  const random = new Random(9);
  const batch: TokenBatch = {
    batchSize: 3,
    length: 7,
    inputIds: Int32Array.from({ length: 21 }, () => 1 + random.integer(39)),
    tokenTypeIds: new Int32Array(21),
    attentionMask: Int32Array.from({ length: 21 }, (_, i) => (i % 7 < 5 + (i % 2) ? 1 : 0)),
  };
  const evaluation = withDropout.forward(batch, { training: false });
  const training = withoutDropout.forward(batch, { training: true, random: new Random(1) });
  const dropped = withDropout.forward(batch, { training: true, random: new Random(1) });
  assert.deepEqual(Array.from(training.dataSync()), Array.from(evaluation.dataSync()));
  assert.notDeepEqual(
    Array.from(dropped.dataSync()),
    Array.from(evaluation.dataSync()),
    "with rates 0.1 a training pass drops units",
  );
  tf.dispose([evaluation, training, dropped]);
  withDropout.dispose();
  withoutDropout.dispose();
});
