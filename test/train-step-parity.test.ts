import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import { EmbeddingTable } from "../src/model/embedding.js";
import { dropout } from "../src/model/layers.js";
import { AdamW } from "../src/train/adamw.js";
import type { Gradients } from "../src/train/gradients.js";
import { optimizerStep } from "../src/train/optimizer-step.js";
import { learningRateAt } from "../src/train/schedule.js";
import { Random } from "../src/util/random.js";
import { testBackends, useBackend } from "./helpers/backends.js";

// The rest of a training step against PyTorch, written out by hand in float64 (no torch here):
// HF's get_linear_schedule_with_warmup, torch.nn.utils.clip_grad_norm_ over the dense gradient
// (untouched rows count as zeros), torch.optim.AdamW, and nn.Dropout's distribution.

const rows = 6;
const width = 4;
const adam = { beta1: 0.9, beta2: 0.999, epsilon: 1e-6, weightDecay: 0.01 };

/** HF `get_linear_schedule_with_warmup`'s multiplier at 0-based scheduler step `step`. */
const hfLinear = (step: number, warmup: number, total: number) =>
  step < warmup ? step / Math.max(1, warmup) : Math.max(0, (total - step) / Math.max(1, total - warmup));

for (const backend of testBackends) {
  test(`schedule + clipping + exact AdamW on a row-sparse table and a dense parameter equal torch's step on ${backend}`, async () => {
    await useBackend(backend);
    const random = new Random(11);
    const total = 60;
    const warmup = 6;
    const peak = 2e-3;
    const maxNorm = 1;
    const table0 = Array.from({ length: rows * width }, () => random.normal() * 0.05);
    const dense0 = Array.from({ length: width }, () => random.normal() * 0.05);
    const steps = Array.from({ length: total }, (_, step) => {
      const ids = [step % rows, (step * 5 + 2) % rows]
        .filter((id, index, all) => all.indexOf(id) === index)
        .sort((a, b) => a - b);
      const size = step % 3 === 0 ? 2 : 0.05; // every third step is clipped
      return {
        ids,
        rowGradient: Array.from({ length: ids.length * width }, () => random.normal() * size),
        denseGradient: Array.from({ length: width }, () => random.normal() * size),
      };
    });

    // torch: dense gradients (zeros for untouched rows), clip_grad_norm_, AdamW, scheduler.step().
    const p = [...table0, ...dense0];
    const m = new Array(p.length).fill(0);
    const v = new Array(p.length).fill(0);
    let clipped = 0;
    steps.forEach((step, index) => {
      const g = new Array(p.length).fill(0);
      step.ids.forEach((id, row) => {
        for (let c = 0; c < width; c++) g[id * width + c] = step.rowGradient[row * width + c]!;
      });
      step.denseGradient.forEach((value, c) => (g[rows * width + c] = value));
      const norm = Math.sqrt(g.reduce((sum, value) => sum + value * value, 0));
      const coefficient = Math.min(1, maxNorm / (norm + 1e-6));
      if (coefficient < 1) clipped++;
      const lr = peak * hfLinear(index, warmup, total);
      const j = index + 1;
      for (let i = 0; i < p.length; i++) {
        const gi = g[i]! * coefficient;
        p[i] *= 1 - lr * adam.weightDecay;
        m[i] = adam.beta1 * m[i] + (1 - adam.beta1) * gi;
        v[i] = adam.beta2 * v[i] + (1 - adam.beta2) * gi * gi;
        p[i] -=
          (lr / (1 - adam.beta1 ** j)) * (m[i] / (Math.sqrt(v[i]) / Math.sqrt(1 - adam.beta2 ** j) + adam.epsilon));
      }
    });
    assert.ok(clipped >= 15, "the run exercises clipping");

    const start = tf.tensor2d(table0, [rows, width]);
    const table = EmbeddingTable.fromTensor("embeddings.word_embeddings.weight", start, 4);
    start.dispose();
    const weight = tf.variable(tf.tensor1d(dense0), true);
    const parameters = new Map([["dense.weight", weight]]);
    const optimizer = new AdamW({ learningRate: peak, ...adam });
    const before = tf.memory().numTensors;
    steps.forEach((step, index) => {
      const gradients: Gradients = {
        loss: tf.scalar(0),
        dense: new Map([["dense.weight", tf.tensor1d(step.denseGradient)]]),
        sparse: [
          { table, ids: Int32Array.from(step.ids), gradient: tf.tensor2d(step.rowGradient, [step.ids.length, width]) },
        ],
      };
      const lr = learningRateAt(
        { name: "warmup-linear", learningRate: peak, warmupSteps: warmup, totalSteps: total },
        index,
      );
      assert.ok(Math.abs(lr - peak * hfLinear(index, warmup, total)) < 1e-15, `learning rate of step ${index}`);
      optimizerStep(optimizer, parameters, gradients, lr, maxNorm);
    });
    const final = table.toTensor();
    const actual = [...final.dataSync(), ...weight.dataSync()];
    final.dispose();
    optimizer.dispose();
    assert.ok(tf.memory().numTensors <= before, "no tensors left behind");
    const worst = actual.reduce((most, value, index) => Math.max(most, Math.abs(value - p[index]!)), 0);
    assert.ok(worst < 1e-6, `${worst} from torch's step`);
    table.dispose();
    weight.dispose();
  });
}

test("dropout has nn.Dropout's distribution: zeros at the rate, survivors scaled by 1/(1 − rate), none when not training", async () => {
  await useBackend("wasm");
  const rate = 0.1;
  const count = 200_000;
  let seed = 7;
  const ones = tf.ones([count]);
  const dropped = dropout(ones, rate, true, () => seed++);
  const values = dropped.dataSync();
  let zeros = 0;
  for (const value of values) {
    if (value === 0) zeros++;
    else assert.ok(Math.abs(value - 1 / (1 - rate)) < 1e-6, `a survivor is ${value}`);
  }
  const sigma = Math.sqrt(count * rate * (1 - rate));
  assert.ok(Math.abs(zeros - count * rate) < 5 * sigma, `${zeros} zeros of ${count}`);
  const again = dropout(ones, rate, true, () => 7);
  assert.deepEqual(Array.from(again.dataSync()), Array.from(values), "a seed repeats its mask");
  assert.equal(
    dropout(ones, rate, false, () => seed++),
    ones,
    "evaluation leaves activations alone",
  );
  tf.dispose([ones, dropped, again]);
});
