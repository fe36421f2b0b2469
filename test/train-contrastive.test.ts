import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import { SentenceEncoder } from "../src/model/sentence-encoder.js";
import { Transformer } from "../src/model/transformer.js";
import { trainWordPiece, WordPieceTokenizer } from "../src/text/index.js";
import {
  MultipleNegativesObjective,
  nliTriplets,
  SimcseObjective,
  type NliPair,
} from "../src/train/objectives/contrastive.js";
import type { TrainingObjective } from "../src/train/objectives/objective.js";
import { Trainer } from "../src/train/trainer.js";
import { Random } from "../src/util/random.js";
import { useBackend } from "./helpers/backends.js";
import { tinyConfig } from "./helpers/tiny.js";
import { tinySentences } from "./helpers/tiny-encoder.js";

/** The tiny test encoder, but with dropout on: SimCSE's only augmentation. */
async function droppingEncoder(seed: number, dropout = 0.1): Promise<SentenceEncoder> {
  const vocab = await trainWordPiece(tinySentences, { vocabSize: 120, minFrequency: 1 });
  const config = tinyConfig({
    vocabSize: vocab.length,
    initializerRange: 0.2,
    maxPositionEmbeddings: 32,
    hiddenDropoutProb: dropout,
    attentionProbsDropoutProb: dropout,
  });
  return new SentenceEncoder({
    tokenizer: new WordPieceTokenizer(vocab, { lowercase: true }),
    transformer: Transformer.initialize(config, seed),
    maxSeqLength: 24,
    pooling: "mean",
  });
}

const everything = tinySentences.map((_, index) => index);

/** The objective's loss on all its examples, with dropout drawn from a fixed seed so that before and after compare. */
function lossOf(objective: TrainingObjective, training: boolean): number {
  const prepared = objective.prepare(everything.slice(0, objective.size));
  return tf.tidy(() => prepared.loss(new Map(), { training, random: new Random(99) }).dataSync()[0]!);
}

async function trainAndCompare(objective: TrainingObjective, encoder: SentenceEncoder, steps: number) {
  const before = lossOf(objective, true);
  const trainer = new Trainer(encoder, [objective], {
    batchSize: objective.size,
    epochs: steps,
    learningRate: 1e-2,
    warmupSteps: 0,
    seed: 5,
  });
  const counts: number[] = [];
  const losses: number[] = [];
  await trainer.train({
    onStep: (record) => {
      losses.push(record.loss);
      counts.push(tf.memory().numTensors);
    },
  });
  const after = lossOf(objective, true);
  trainer.dispose();
  return { before, after, losses, counts };
}

test("SimCSE encodes each sentence twice with different dropout masks, and training lowers its loss with tensors flat", async () => {
  await useBackend("js");
  const encoder = await droppingEncoder(4);
  const objective = new SimcseObjective(encoder, tinySentences);
  assert.equal(objective.size, tinySentences.length);
  const prepared = objective.prepare([0, 1, 2]);
  assert.equal(prepared.batches.length, 1, "one token batch, encoded twice");
  const [first, second] = tf.tidy(() =>
    [0, 1].map(() => encoder.forward(prepared.batches[0]!, { training: true, random: new Random(1) })),
  );
  assert.ok(
    tf.tidy(() => tf.max(tf.abs(tf.sub(first!, second!))).dataSync()[0]!) === 0,
    "the same dropout seed gives the same view",
  );
  tf.dispose([first!, second!]);
  // Two views in one loss draw two different masks from the one generator, so the loss is above the no-dropout one.
  const viewsDiffer = tf.tidy(() => {
    const random = new Random(1);
    const a = encoder.forward(prepared.batches[0]!, { training: true, random });
    const b = encoder.forward(prepared.batches[0]!, { training: true, random });
    return tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!;
  });
  assert.ok(viewsDiffer > 1e-3, `consecutive passes draw different masks (max difference ${viewsDiffer})`);

  const { before, after, losses, counts } = await trainAndCompare(objective, encoder, 8);
  assert.equal(losses.length, 8);
  assert.ok(after < 0.5 * before, `SimCSE loss ${before} → ${after}`);
  assert.equal(new Set(counts.slice(1)).size, 1, `tensor counts: ${[...new Set(counts)].join(", ")}`);
  encoder.dispose();
});

const nli: NliPair[] = [
  { premise: "the cat sits on the mat", hypothesis: "a cat is sitting", label: "entailment" },
  { premise: "the cat sits on the mat", hypothesis: "a dog runs in the park", label: "contradiction" },
  { premise: "the cat sits on the mat", hypothesis: "the cat is old", label: "neutral" },
  { premise: "the cat sits on the mat", hypothesis: "an animal is on the mat", label: "entailment" },
  { premise: "it is raining in the city", hypothesis: "the weather is sunny today", label: "contradiction" },
  { premise: "it is raining in the city", hypothesis: "the city is wet", label: "entailment" },
  { premise: "she reads a book at night", hypothesis: "she reads", label: "entailment" },
  { premise: "the train leaves at seven", hypothesis: "the train never leaves", label: "contradiction" },
];

test("NLI labelled pairs become (premise, entailment, contradiction) triplets, or pairs without hard negatives", () => {
  assert.deepEqual(nliTriplets(nli), [
    { anchor: "the cat sits on the mat", positive: "a cat is sitting", negative: "a dog runs in the park" },
    { anchor: "the cat sits on the mat", positive: "an animal is on the mat", negative: "a dog runs in the park" },
    { anchor: "it is raining in the city", positive: "the city is wet", negative: "the weather is sunny today" },
  ]);
  assert.deepEqual(nliTriplets(nli, { hardNegatives: false }), [
    { anchor: "the cat sits on the mat", positive: "a cat is sitting" },
    { anchor: "the cat sits on the mat", positive: "an animal is on the mat" },
    { anchor: "it is raining in the city", positive: "the city is wet" },
    { anchor: "she reads a book at night", positive: "she reads" },
  ]);
});

test("multiple-negatives training with hard negatives (symmetric) lowers its loss with tensors flat, and refuses mixed examples", async () => {
  await useBackend("js");
  const encoder = await droppingEncoder(6, 0);
  const examples = tinySentences.map((anchor, i) => ({
    anchor,
    positive: anchor.split(" ").slice(1).join(" "),
    negative: tinySentences[(i + 3) % tinySentences.length]!,
  }));
  const objective = new MultipleNegativesObjective(encoder, examples, { symmetric: true });
  assert.equal(objective.prepare([0, 1]).batches.length, 3, "anchor, positive and negative batches");
  const { before, after, counts } = await trainAndCompare(objective, encoder, 8);
  assert.ok(after < 0.5 * before, `multiple-negatives loss ${before} → ${after}`);
  assert.equal(new Set(counts.slice(1)).size, 1, `tensor counts: ${[...new Set(counts)].join(", ")}`);
  const pairsOnly = new MultipleNegativesObjective(
    encoder,
    examples.map(({ anchor, positive }) => ({ anchor, positive })),
  );
  assert.equal(pairsOnly.prepare([0, 1]).batches.length, 2);
  assert.throws(
    () => new MultipleNegativesObjective(encoder, [examples[0]!, { anchor: "a", positive: "b" }]),
    /1 of 2 examples have a hard negative/,
  );
  encoder.dispose();
});
