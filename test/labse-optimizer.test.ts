import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { before, test } from "node:test";
import { parseRecipe } from "../src/recipes/load.js";
import { DualEncoderTrainer, type DualEncoderOptions } from "../src/train/dual-encoder.js";
import { Pretrainer } from "../src/train/pretraining.js";
import { useBackend } from "./helpers/backends.js";
import { repositoryRoot } from "./helpers/fixtures.js";
import { tinyConfig } from "./helpers/tiny.js";
import { tinyEncoder, tinySentences } from "./helpers/tiny-encoder.js";

// The LaBSE steps (pretrain, dual-encoder) take `training.optimizer.embeddings` as the other
// training steps do: LaBSE's 500k-row vocabularies are where a user may want LazyAdam.

before(async () => {
  await useBackend("wasm");
});

const file = path.join(repositoryRoot, "recipes", "labse.yaml");
const original = readFileSync(file, "utf8");
const pretraining = "training: { batchSize: 32, learningRate: 5.0e-4, warmupRatio: 0.1, checkpointEvery: 100 }";
const dualTraining =
  "training: { maxSteps: 120, batchSize: 64, chunkSize: 16, learningRate: 2.0e-3, warmupRatio: 0.1, evaluateEvery: 40, checkpointEvery: 40 }";

test("recipes/labse.yaml: both training steps accept optimizer.embeddings lazy and default to exact", () => {
  assert.ok(
    original.includes(pretraining) && original.includes(dualTraining),
    "recipes/labse.yaml still trains as this test expects",
  );
  const lazyText = original
    .replace(pretraining, pretraining.replace(" }", ", optimizer: { embeddings: lazy } }"))
    .replace(dualTraining, dualTraining.replace(" }", ", optimizer: { embeddings: lazy } }"));
  const embeddings = (text: string) =>
    parseRecipe(text, file).steps.flatMap((step) =>
      step.step === "pretrain" || step.step === "dual-encoder" ? [step.training.optimizer?.embeddings ?? "exact"] : [],
    );
  assert.deepEqual(embeddings(original), ["exact", "exact"]);
  assert.deepEqual(embeddings(lazyText), ["lazy", "lazy"]);
});

test("the pre-trainer's AdamW steps the table as the options say", () => {
  const options = {
    config: tinyConfig({ numHiddenLayers: 2, maxPositionEmbeddings: 32 }),
    stages: [{ layers: 2, steps: 1 }],
    special: { cls: 1, sep: 2, pad: 0, mask: 3, others: [4] },
    batchSize: 2,
    learningRate: 1e-3,
    warmupRatio: 0,
    weightDecay: 0.01,
    maxGradNorm: 1,
    maskProbability: 0.3,
    seed: 1,
  };
  const data = {
    sentences: [
      [5, 6, 7],
      [8, 9],
    ],
    pairs: [],
  };
  for (const embeddings of ["exact", "lazy"] as const) {
    const pretrainer = new Pretrainer(data, { ...options, optimizer: { embeddings } });
    assert.equal(pretrainer.optimizer.embeddings, embeddings);
    pretrainer.dispose();
  }
  const plain = new Pretrainer(data, options);
  assert.equal(plain.optimizer.embeddings, "exact");
  plain.dispose();
});

test("dual-encoder training: lazy leaves rows no batch touched as they were, exact decays them", async () => {
  const options: DualEncoderOptions = {
    batchSize: 4,
    chunkSize: 2,
    epochs: 1,
    maxSteps: 2,
    learningRate: 5e-3,
    warmupRatio: 0,
    weightDecay: 0.01,
    maxGradNorm: 1,
    loss: { margin: 0.3, scale: 10, reduction: "sum" },
    seed: 5,
  };
  const pairs = tinySentences.map((sentence, index) => ({
    source: sentence,
    target: tinySentences[(index + 1) % tinySentences.length]!,
  }));
  const table = async (embeddings?: "exact" | "lazy") => {
    const encoder = await tinyEncoder(3);
    const initial = encoder.transformer.wordEmbeddings.toTensor();
    const before = Float32Array.from(initial.dataSync());
    initial.dispose();
    const trainer = new DualEncoderTrainer(
      encoder,
      pairs,
      embeddings === undefined ? options : { ...options, optimizer: { embeddings } },
    );
    assert.equal(trainer.optimizer.embeddings, embeddings ?? "exact");
    while (trainer.step < trainer.totalSteps) trainer.trainStep();
    const final = encoder.transformer.wordEmbeddings.toTensor();
    const after = Float32Array.from(final.dataSync());
    const width = final.shape[1];
    final.dispose();
    trainer.dispose();
    encoder.dispose();
    return { before, after, width };
  };
  const lazy = await table("lazy");
  const exact = await table();
  const rows = lazy.before.length / lazy.width;
  const row = (values: Float32Array, index: number) => values.subarray(index * lazy.width, (index + 1) * lazy.width);
  const resting = Array.from({ length: rows }, (_, index) => index).filter((index) =>
    row(lazy.after, index).every((value, i) => value === row(lazy.before, index)[i]),
  );
  assert.ok(
    resting.length > 0 && resting.length < rows,
    `some rows rest, some move (resting: ${resting.length} of ${rows})`,
  );
  // The padding row is zeros, which decay leaves as they are.
  for (const index of resting.filter((index) => row(lazy.before, index).some((value) => value !== 0)))
    assert.notDeepEqual(row(exact.after, index), row(exact.before, index), `exact AdamW moved resting row ${index}`);
});
