import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { loadSentenceEncoder } from "../src/io/encoder-checkpoint.js";
import { readSafetensors } from "../src/io/safetensors.js";
import type { SparseLookup } from "../src/model/embedding.js";
import { SentenceEncoder } from "../src/model/sentence-encoder.js";
import { AdamW, type EmbeddingUpdate } from "../src/train/adamw.js";
import { computeGradients, disposeGradients } from "../src/train/gradients.js";
import { testBackends, useBackend } from "./helpers/backends.js";
import { fixturesRoot, skipWithoutFixtures } from "./helpers/fixtures.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Expected = any;

const directory = path.join(fixturesRoot, "adamw-trajectory");
const readExpected = (): Expected => JSON.parse(readFileSync(path.join(directory, "expected.json"), "utf8"));

/**
 * 20 steps of torch's AdamW on tiny-bert-uncased, where each step's 4 sentences touch other rows
 * of the word-embedding table (`adamw-trajectory/expected.json`). Returns the largest deviation
 * of each parameter from torch's final values, after checking every step's loss.
 */
async function trajectory(
  embeddings: EmbeddingUpdate,
): Promise<{ losses: number[]; final: number; deviations: Map<string, number> }> {
  const expected = readExpected();
  const loaded = await loadSentenceEncoder(path.join(fixturesRoot, "tiny-bert-uncased"));
  const encoder = new SentenceEncoder({
    tokenizer: loaded.tokenizer,
    transformer: loaded.transformer,
    maxSeqLength: expected.max_seq_length,
    pooling: "mean",
    lowercase: loaded.lowercase,
  });
  const { lr, betas, eps, weight_decay: weightDecay } = expected.optimizer;
  const optimizer = new AdamW({
    learningRate: lr,
    beta1: betas[0],
    beta2: betas[1],
    epsilon: eps,
    weightDecay,
    embeddings,
  });
  const sentences = expected.sentences as string[];
  const targets = expected.targets as number[][];
  const lossOf = (indices: number[]) => {
    const batch = encoder.batch(indices.map((index) => sentences[index]!));
    const target = tf.tensor2d(indices.map((index) => targets[index]!));
    return {
      batch,
      loss: (sparse?: SparseLookup) =>
        tf.tidy(
          () => tf.mean(tf.square(tf.sub(encoder.forward(batch, sparse ? { sparse } : {}), target))) as tf.Scalar,
        ),
      dispose: () => target.dispose(),
    };
  };

  const before = tf.memory().numTensors;
  const losses: number[] = [];
  for (const indices of expected.batches as number[][]) {
    const step = lossOf(indices);
    const gradients = computeGradients(encoder, encoder.sparseIds([step.batch]), step.loss);
    losses.push(gradients.loss.dataSync()[0]!);
    optimizer.apply(encoder.trainableParameters(), gradients, lr);
    disposeGradients(gradients);
    step.dispose();
  }
  const all = lossOf(sentences.map((_, index) => index));
  const final = tf.tidy(() => all.loss().dataSync()[0]!);
  all.dispose();

  const reference = await readSafetensors(path.join(directory, "final.safetensors"));
  const deviations = new Map<string, number>();
  const named = encoder.transformer.namedTensors(); // reads the word embeddings as every reader does
  for (const [name, entry] of reference.tensors) {
    const tensor = named.get(name);
    assert.ok(tensor, `parameter ${name}`);
    const actual = tensor.dataSync();
    const wanted = entry.data as Float32Array;
    let worst = 0;
    for (let i = 0; i < wanted.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - wanted[i]!));
    deviations.set(name, worst);
  }
  tf.dispose([...named.values()]);
  optimizer.dispose();
  assert.ok(tf.memory().numTensors <= before, "the steps leave no tensors behind");
  encoder.dispose();
  assert.equal(losses.length, expected.losses.length);
  losses.forEach((loss, index) =>
    assert.ok(
      Math.abs(loss - expected.losses[index]) < 1e-5 || embeddings === "lazy",
      `loss of step ${index + 1}: ${loss} vs ${expected.losses[index]}`,
    ),
  );
  assert.ok(
    Math.abs(final - expected.final_loss_all_sentences) < 1e-5 || embeddings === "lazy",
    `loss over all sentences: ${final} vs ${expected.final_loss_all_sentences}`,
  );
  return { losses, final, deviations };
}

const worstOf = (deviations: Map<string, number>) => [...deviations].reduce((a, b) => (b[1] > a[1] ? b : a));

for (const backend of testBackends) {
  test(`exact AdamW follows torch's 20-step trajectory (losses 1e-5, final parameters 1e-4) on ${backend}`, {
    skip: skipWithoutFixtures,
  }, async () => {
    await useBackend(backend);
    const { deviations } = await trajectory("exact");
    const [name, worst] = worstOf(deviations);
    process.stdout.write(
      `# exact on ${backend}: every parameter within ${worst.toExponential(2)} of torch's (${name}); word embeddings ${deviations.get("embeddings.word_embeddings.weight")!.toExponential(2)}\n`,
    );
    assert.ok(worst < 1e-4, `${name} is ${worst} from torch's`);
  });
}

test("lazy AdamW (LazyAdam) misses torch's trajectory on the word embeddings", {
  skip: skipWithoutFixtures,
}, async () => {
  await useBackend("wasm");
  const { deviations, losses } = await trajectory("lazy");
  const expected = readExpected();
  const lossGap = Math.max(...losses.map((loss, index) => Math.abs(loss - expected.losses[index])));
  process.stdout.write(`# lazy: step losses up to ${lossGap.toExponential(2)} from torch's\n`);
  const words = deviations.get("embeddings.word_embeddings.weight")!;
  process.stdout.write(`# lazy: word embeddings end ${words.toExponential(2)} from torch's\n`);
  assert.ok(words > 1e-3, `lazy word embeddings are ${words} from torch's`);
});
