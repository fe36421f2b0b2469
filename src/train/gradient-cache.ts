import * as tf from "@tensorflow/tfjs";
import type { TokenBatch } from "../model/batch.js";
import type { EmbeddingTable } from "../model/embedding.js";
import type { ForwardOptions } from "../model/transformer.js";
import { Random } from "../util/random.js";
import { addGradients, computeGradients, disposeGradients, type Gradients, type Trainable } from "./gradients.js";

/** What gradient caching needs of an encoder (a `SentenceEncoder` fits). */
export interface ChunkEncoder extends Trainable {
  /** Sentence vectors `[batch, dimension]`, differentiable. */
  forward(batch: TokenBatch, options?: ForwardOptions): tf.Tensor2D;
  /** The word ids each sparse table will be asked for by these batches. */
  sparseIds(batches: TokenBatch[]): Map<EmbeddingTable, Int32Array[]>;
}

export interface GradientCacheOptions {
  /** Dropout on (training mode); off by default. */
  training?: boolean;
  /**
   * Dropout seeds come from here: one seed is drawn per chunk, sources first, then targets,
   * and chunk `i` runs both of its forward passes with `new Random(seed_i)`, so that the
   * recomputation drops exactly the units the first pass dropped.
   */
  random?: Random;
}

/**
 * Loss and gradients of a contrastive objective over a batch larger than memory allows,
 * by gradient caching (Gao et al. 2021, "Scaling Deep Contrastive Learning Batch Size
 * under Memory Limited Setup"): every sentence still sees every other as a negative, as
 * LaBSE's in-batch negatives want (Feng et al. 2020), while activations are only
 * ever held for one chunk.
 *
 * 1. Embed every chunk with no tape, keeping only its vectors `[chunk, dimension]`.
 * 2. Compute the loss over all vectors and its gradient with respect to them (the cache).
 * 3. Re-run each chunk with the tape and back-propagate its cached gradient `g` through the
 *    surrogate `sum(e ⊙ g)`, whose gradient with respect to the chunk's vectors `e` is `g`,
 *    so the chain rule gives the chunk's exact share of every parameter's gradient; the
 *    shares are summed with `addGradients`.
 *
 * The result equals the gradients of `loss(concat(sources), concat(targets))` computed in
 * one piece (up to float32 summation order). `sourceChunks[i]` and `targetChunks[i]` need
 * not be aligned chunk by chunk: rows of the concatenations are pairs.
 */
export function cachedContrastiveGradients(
  encoder: ChunkEncoder,
  sourceChunks: TokenBatch[],
  targetChunks: TokenBatch[],
  loss: (sources: tf.Tensor2D, targets: tf.Tensor2D) => tf.Scalar,
  options: GradientCacheOptions = {},
): Gradients {
  const chunks = [...sourceChunks, ...targetChunks];
  if (sourceChunks.length === 0 || targetChunks.length === 0)
    throw new Error("gradient cache: no source or no target chunk");
  const random = options.random ?? new Random(0);
  const seeds = chunks.map(() => random.nextUint32());
  const forwardOptions = (index: number): ForwardOptions => ({
    training: options.training ?? false,
    random: new Random(seeds[index]!),
  });

  // 1. No gradient scope is open, so tfjs records no tape: each chunk's activations are freed by its tidy.
  const vectors = chunks.map((chunk, index) => tf.tidy(() => encoder.forward(chunk, forwardOptions(index)))); // [chunk, dimension] each

  // 2. The loss over the whole batch and d loss / d vectors.
  let step: { value: tf.Scalar; cache: tf.Tensor2D[] };
  try {
    step = tf.tidy(() => {
      const sources = tf.concat(vectors.slice(0, sourceChunks.length), 0) as tf.Tensor2D; // [batch, dimension]
      const targets = tf.concat(vectors.slice(sourceChunks.length), 0) as tf.Tensor2D; // [batch, dimension]
      const { value, grads } = tf.valueAndGrads((x: tf.Tensor, y: tf.Tensor) =>
        loss(x as tf.Tensor2D, y as tf.Tensor2D),
      )([sources, targets]);
      const sizes = (list: TokenBatch[]) => list.map((chunk) => chunk.batchSize);
      const cache = [
        ...tf.split(grads[0]!, sizes(sourceChunks), 0),
        ...tf.split(grads[1]!, sizes(targetChunks), 0),
      ] as tf.Tensor2D[];
      return { value: value as tf.Scalar, cache };
    });
  } finally {
    tf.dispose(vectors);
  }
  const { value, cache } = step;

  // 3. Back-propagate each chunk's cached gradient through a recomputed forward pass.
  let total: Gradients | undefined;
  try {
    for (const [index, chunk] of chunks.entries()) {
      const share = computeGradients(encoder, encoder.sparseIds([chunk]), (sparse) =>
        tf.tidy(() => tf.sum(tf.mul(encoder.forward(chunk, { ...forwardOptions(index), sparse }), cache[index]!))),
      );
      total = addGradients(total, share);
    }
  } catch (error) {
    if (total !== undefined) disposeGradients(total);
    value.dispose();
    throw error;
  } finally {
    tf.dispose(cache);
  }
  // The summed surrogate values mean nothing; the step's loss is the one of step 2.
  const summed = total!; // there is at least one chunk
  summed.loss.dispose();
  return { ...summed, loss: value };
}

/**
 * Split a padded batch into chunks of at most `size` rows, each cut to its own longest
 * row (dynamic padding per chunk), for `cachedContrastiveGradients`.
 */
export function splitBatch(batch: TokenBatch, size: number): TokenBatch[] {
  if (!Number.isInteger(size) || size < 1)
    throw new Error(`splitBatch: chunk size must be a positive integer, got ${size}`);
  const chunks: TokenBatch[] = [];
  for (let start = 0; start < batch.batchSize; start += size) {
    const rows = Math.min(size, batch.batchSize - start);
    let length = 1;
    for (let row = start; row < start + rows; row++) {
      for (let column = batch.length - 1; column >= length; column--) {
        if (batch.attentionMask[row * batch.length + column] !== 0) {
          length = column + 1;
          break;
        }
      }
    }
    const cut = (values: Int32Array) => {
      const result = new Int32Array(rows * length);
      for (let row = 0; row < rows; row++) {
        const from = (start + row) * batch.length;
        result.set(values.subarray(from, from + length), row * length);
      }
      return result;
    };
    chunks.push({
      batchSize: rows,
      length,
      inputIds: cut(batch.inputIds),
      tokenTypeIds: cut(batch.tokenTypeIds),
      attentionMask: cut(batch.attentionMask),
    });
  }
  return chunks;
}
