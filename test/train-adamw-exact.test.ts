import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import { EmbeddingTable } from "../src/model/embedding.js";
import { AdamW } from "../src/train/adamw.js";
import type { Gradients } from "../src/train/gradients.js";
import { momentumTerms } from "../src/train/row-catch-up.js";
import { learningRateAt } from "../src/train/schedule.js";
import { Random } from "../src/util/random.js";
import { testBackends, useBackend } from "./helpers/backends.js";

const rows = 7;
const width = 3;
const constants = { beta1: 0.9, beta2: 0.999, epsilon: 1e-6, weightDecay: 0.01 };

/** Torch's dense AdamW in float64: every row gets a (possibly zero) gradient every step. */
function denseReference(initial: number[], steps: { rates: number; ids: number[]; gradient: number[] }[]): number[] {
  const { beta1, beta2, epsilon, weightDecay } = constants;
  const p = [...initial];
  const m = new Array(p.length).fill(0);
  const v = new Array(p.length).fill(0);
  steps.forEach(({ rates: lr, ids, gradient }, index) => {
    const j = index + 1;
    const g = new Array(p.length).fill(0);
    ids.forEach((id, row) => {
      for (let c = 0; c < width; c++) g[id * width + c] = gradient[row * width + c]!;
    });
    for (let i = 0; i < p.length; i++) {
      p[i] *= 1 - lr * weightDecay;
      m[i] = beta1 * m[i] + (1 - beta1) * g[i];
      v[i] = beta2 * v[i] + (1 - beta2) * g[i] ** 2;
      p[i] -= (lr / (1 - beta1 ** j)) * (m[i] / (Math.sqrt(v[i]) / Math.sqrt(1 - beta2 ** j) + epsilon));
    }
  });
  return p;
}

/** Steps whose batches touch few rows, with long rests (longer than the catch-up's term bound). */
function schedule(count: number, random: Random) {
  return Array.from({ length: count }, (_, step) => {
    const ids = step < 5 ? [0, 1, 2, 3, 4, 5, 6] : step % 97 === 0 ? [1, 3] : [0, random.integer(2) === 0 ? 2 : 4];
    const gradient = Array.from({ length: ids.length * width }, () => random.normal() * (step < 5 ? 1 : 0.1));
    const rates = learningRateAt(
      { name: "warmup-linear", learningRate: 1e-3, warmupSteps: 20, totalSteps: count + 50 },
      step,
    );
    return { rates, ids, gradient };
  });
}

function gradientsFor(table: EmbeddingTable, step: { ids: number[]; gradient: number[] }): Gradients {
  const order = step.ids.map((id, row) => [id, row] as const).sort((a, b) => a[0] - b[0]);
  const gradient = tf.tensor2d(
    order.flatMap(([, row]) => step.gradient.slice(row * width, (row + 1) * width)),
    [order.length, width],
  );
  return {
    loss: tf.scalar(0),
    dense: new Map(),
    sparse: [{ table, ids: Int32Array.from(order, ([id]) => id), gradient }],
  };
}

function run(mode: "exact" | "lazy", steps: ReturnType<typeof schedule>, initial: number[], checkpointAt?: number) {
  const start = tf.tensor2d(initial, [rows, width]);
  const table = EmbeddingTable.fromTensor("embeddings.word_embeddings.weight", start, 3);
  start.dispose();
  let optimizer = new AdamW({ learningRate: 1e-3, ...constants, embeddings: mode });
  steps.forEach((step, index) => {
    if (index === checkpointAt) {
      // What a checkpoint does: the stored rows and the optimizer state (which rows owe which steps)
      // are saved, a new optimizer resumes from them.
      const state = optimizer.stateTensors();
      const weights = table.storedTensor();
      optimizer.dispose();
      optimizer = new AdamW({ learningRate: 1e-3, ...constants, embeddings: mode });
      table.assign(weights);
      optimizer.loadState(state, [table]);
      tf.dispose([weights, ...state.values()]);
    }
    const gradients = gradientsFor(table, step);
    optimizer.apply(new Map(), gradients, step.rates);
    tf.dispose([gradients.loss, gradients.sparse[0]!.gradient]);
  });
  const final = table.toTensor();
  const result = Array.from(final.dataSync());
  final.dispose();
  optimizer.dispose();
  table.dispose();
  return result;
}

const worst = (a: number[], b: number[]) =>
  a.reduce((most, value, index) => Math.max(most, Math.abs(value - b[index]!)), 0);

for (const backend of testBackends) {
  test(`exact AdamW on a row-sparse table equals dense AdamW through rests past the term bound and a checkpoint, on ${backend}`, async () => {
    await useBackend(backend);
    const random = new Random(3);
    const initial = Array.from({ length: rows * width }, () => random.normal() * 0.05);
    const steps = schedule(400, random);
    const reference = denseReference(initial, steps);
    const before = tf.memory().numTensors;
    const exact = run("exact", steps, initial);
    const resumed = run("exact", steps, initial, 250);
    const lazy = run("lazy", steps, initial);
    assert.ok(tf.memory().numTensors <= before, "no tensors left behind");
    assert.ok(worst(exact, reference) < 1e-6, `exact is ${worst(exact, reference)} from dense AdamW`);
    assert.deepEqual(resumed, exact, "a run resumed from a checkpoint repeats the uninterrupted one bit for bit");
    assert.ok(worst(lazy, reference) > 1e-3, `lazy is only ${worst(lazy, reference)} from dense AdamW`);
  });
}

test("the momentum tail bound: about 180 terms at lr 5e-4, fewer at smaller rates", () => {
  const constants = { beta1: 0.9, beta2: 0.999, epsilon: 1e-6 };
  const terms = momentumTerms(constants, 5e-4);
  assert.ok(terms > 150 && terms < 200, `${terms}`);
  assert.ok(momentumTerms(constants, 1e-5) < terms);
  assert.throws(() => momentumTerms({ ...constants, beta2: 0.5 }, 1e-3), /beta1 < sqrt\(beta2\)/);
});
