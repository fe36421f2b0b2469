import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import { padBatch, type EncodedText, type TokenBatch } from "../src/model/batch.js";
import { SentenceEncoder } from "../src/model/sentence-encoder.js";
import type { TransformerConfig } from "../src/model/config.js";
import { additiveMarginLoss } from "../src/losses/additive-margin.js";
import { cachedContrastiveGradients, splitBatch } from "../src/train/gradient-cache.js";
import { computeGradients, disposeGradients, type Gradients } from "../src/train/gradients.js";
import { Random } from "../src/util/random.js";
import { testBackends, useBackend } from "./helpers/backends.js";
import { tinyTransformer } from "./helpers/tiny.js";

/** LaBSE's dual encoder on a tiny BERT: [CLS] pooling, then L2 normalisation. */
function labseEncoder(seed: number, overrides: Partial<TransformerConfig> = {}): SentenceEncoder {
  const tokenizer = {
    special: { pad: 0 },
    encode(): EncodedText {
      throw new Error("these tests feed token batches directly");
    },
  };
  return new SentenceEncoder({
    tokenizer,
    transformer: tinyTransformer(seed, overrides),
    maxSeqLength: 16,
    pooling: "cls",
    normalize: true,
  });
}

/** `count` sentences of ordinary ids framed by [CLS] 1 and [SEP] 2, of random or fixed length. */
function sentences(random: Random, count: number, length?: number): EncodedText[] {
  return Array.from({ length: count }, () => {
    const size = length ?? 1 + random.integer(12);
    const inputIds = [1, ...Array.from({ length: size }, () => 3 + random.integer(37)), 2];
    return { inputIds, tokenTypeIds: inputIds.map(() => 0) };
  });
}

const loss = (x: tf.Tensor2D, y: tf.Tensor2D) => additiveMarginLoss(x, y, { margin: 0.3, scale: 20, reduction: "sum" });

/** The worst absolute difference between two gradient sets, over the loss, every dense parameter and every sparse row. */
function worstDifference(a: Gradients, b: Gradients): number {
  let worst = Math.abs(a.loss.dataSync()[0]! - b.loss.dataSync()[0]!);
  assert.deepEqual([...a.dense.keys()].sort(), [...b.dense.keys()].sort(), "the same parameters get gradients");
  for (const [name, gradient] of a.dense) {
    worst = Math.max(
      worst,
      tf.tidy(() => tf.max(tf.abs(tf.sub(gradient, b.dense.get(name)!))).dataSync()[0]!),
    );
  }
  assert.equal(a.sparse.length, b.sparse.length);
  a.sparse.forEach((rows, index) => {
    assert.deepEqual(Array.from(rows.ids), Array.from(b.sparse[index]!.ids), "the same word rows get gradients");
    worst = Math.max(
      worst,
      tf.tidy(() => tf.max(tf.abs(tf.sub(rows.gradient, b.sparse[index]!.gradient))).dataSync()[0]!),
    );
  });
  return worst;
}

/** The gradients of the whole batch in one piece. */
function unsplitGradients(encoder: SentenceEncoder, sources: TokenBatch, targets: TokenBatch): Gradients {
  return computeGradients(encoder, encoder.sparseIds([sources, targets]), (sparse) =>
    tf.tidy(() => loss(encoder.forward(sources, { sparse }), encoder.forward(targets, { sparse }))),
  );
}

for (const backend of testBackends) {
  test(`a batch of 64 in chunks of 8 gets the gradients of the unsplit batch on ${backend}`, async () => {
    await useBackend(backend);
    const encoder = labseEncoder(3);
    const random = new Random(8);
    const sources = padBatch(sentences(random, 64), 0);
    const targets = padBatch(sentences(random, 64), 0);
    const before = tf.memory().numTensors;
    const whole = unsplitGradients(encoder, sources, targets);
    const cached = cachedContrastiveGradients(encoder, splitBatch(sources, 8), splitBatch(targets, 8), loss);
    const worst = worstDifference(cached, whole);
    const largest = Math.max(
      ...[...whole.dense.values()].map((gradient) => tf.tidy(() => tf.max(tf.abs(gradient)).dataSync()[0]!)),
    );
    console.log(
      `${backend}: loss ${whole.loss.dataSync()[0]}, largest gradient entry ${largest}, worst difference cached vs unsplit ${worst}`,
    );
    assert.ok(largest > 1e-3, "the gradients are far from zero");
    assert.ok(worst < 1e-5, `cached gradients differ from the unsplit batch's by ${worst}`);
    disposeGradients(whole);
    disposeGradients(cached);
    assert.equal(tf.memory().numTensors, before, "no tensor left behind");
    encoder.dispose();
  });
}

test("with dropout, each chunk's recomputation drops the units of its first pass", async () => {
  await useBackend("js");
  const encoder = labseEncoder(4, { hiddenDropoutProb: 0.2, attentionProbsDropoutProb: 0.2 });
  const random = new Random(2);
  const sourceChunks = splitBatch(padBatch(sentences(random, 24), 0), 8);
  const targetChunks = splitBatch(padBatch(sentences(random, 24), 0), 8);
  const cached = cachedContrastiveGradients(encoder, sourceChunks, targetChunks, loss, {
    training: true,
    random: new Random(77),
  });
  // The documented seeding: one seed per chunk from `random`, sources first; the direct computation runs every chunk on one tape.
  const seeds = new Random(77);
  const chunkRandoms = [...sourceChunks, ...targetChunks].map(() => new Random(seeds.nextUint32()));
  const direct = computeGradients(encoder, encoder.sparseIds([...sourceChunks, ...targetChunks]), (sparse) =>
    tf.tidy(() => {
      const embed = (chunks: TokenBatch[], offset: number) =>
        tf.concat(
          chunks.map((chunk, index) =>
            encoder.forward(chunk, { training: true, random: chunkRandoms[offset + index]!, sparse }),
          ),
          0,
        ) as tf.Tensor2D;
      return loss(embed(sourceChunks, 0), embed(targetChunks, sourceChunks.length));
    }),
  );
  const withoutDropout = tf.tidy(
    () =>
      loss(
        tf.concat(sourceChunks.map((chunk) => encoder.forward(chunk))) as tf.Tensor2D,
        tf.concat(targetChunks.map((chunk) => encoder.forward(chunk))) as tf.Tensor2D,
      ).dataSync()[0]!,
  );
  assert.ok(Math.abs(withoutDropout - cached.loss.dataSync()[0]!) > 1e-3, "dropout is really on");
  const worst = worstDifference(cached, direct);
  console.log(`dropout: worst difference cached vs one tape with the same masks ${worst}`);
  assert.ok(worst < 1e-5, `${worst}`);
  disposeGradients(cached);
  disposeGradients(direct);
  encoder.dispose();
});

test("peak tensor memory grows with the chunk, not with the batch", async () => {
  await useBackend("js");
  const encoder = labseEncoder(5);
  const peak = async (size: number, cached: boolean) => {
    const random = new Random(size);
    // Fixed-length sentences, so that only the number of sentences differs between sizes.
    const sources = padBatch(sentences(random, size, 12), 0);
    const targets = padBatch(sentences(random, size, 12), 0);
    const start = tf.memory().numBytes;
    const profile = await tf.profile(() => {
      const gradients = cached
        ? cachedContrastiveGradients(encoder, splitBatch(sources, 8), splitBatch(targets, 8), loss)
        : unsplitGradients(encoder, sources, targets);
      disposeGradients(gradients);
    });
    return profile.peakBytes - start;
  };
  const unsplit = [await peak(32, false), await peak(128, false)];
  const cached = [await peak(32, true), await peak(128, true)];
  const growth = (pair: number[]) => pair[1]! - pair[0]!;
  console.log(
    `peak bytes above the model: unsplit ${unsplit[0]} → ${unsplit[1]} (+${growth(unsplit)}), cached ${cached[0]} → ${cached[1]} (+${growth(cached)})`,
  );
  // What still grows with the batch is the [batch, dimension] cache and the [batch, batch] similarity of the loss itself.
  assert.ok(growth(cached) < 0.2 * growth(unsplit), "the cached peak grows far less than the unsplit one");
  assert.ok(cached[1]! < 0.3 * unsplit[1]!, "at 128 sentences the cached peak is a fraction of the unsplit one");
  encoder.dispose();
});

test("splitBatch cuts each chunk to its own longest row", () => {
  const batch = padBatch(
    [
      { inputIds: [1, 5, 2], tokenTypeIds: [0, 0, 0] },
      { inputIds: [1, 2], tokenTypeIds: [0, 0] },
      { inputIds: [1, 6, 7, 8, 2], tokenTypeIds: [0, 0, 1, 1, 1] },
    ],
    0,
  );
  const [first, second] = splitBatch(batch, 2);
  assert.deepEqual(
    {
      ...first,
      inputIds: Array.from(first!.inputIds),
      attentionMask: Array.from(first!.attentionMask),
      tokenTypeIds: Array.from(first!.tokenTypeIds),
    },
    {
      batchSize: 2,
      length: 3,
      inputIds: [1, 5, 2, 1, 2, 0],
      attentionMask: [1, 1, 1, 1, 1, 0],
      tokenTypeIds: [0, 0, 0, 0, 0, 0],
    },
  );
  assert.equal(second!.length, 5);
  assert.deepEqual(Array.from(second!.tokenTypeIds), [0, 0, 1, 1, 1]);
});
