import type * as tf from "@tensorflow/tfjs";
import { padBatch, type EncodedText } from "../model/batch.js";
import type { EmbeddingTable } from "../model/embedding.js";
import type { SentenceEncoder } from "../model/sentence-encoder.js";
import { additiveMarginLoss, type AdditiveMarginOptions } from "../losses/additive-margin.js";
import { Random } from "../util/random.js";
import { AdamW, type EmbeddingUpdate } from "./adamw.js";
import { EpochOrders, hashSeed } from "./epoch-order.js";
import { cachedContrastiveGradients, splitBatch } from "./gradient-cache.js";
import type { Resumable } from "./resumable.js";
import { warmupStepsFor, type ScheduleOptions } from "./schedule.js";
import { trainingStep } from "./training-step.js";

export interface DualEncoderOptions {
  /** Pairs per step: every sentence sees the other side of all of them as negatives. */
  batchSize: number;
  /** Rows per forward pass; bounds memory, not the negatives (gradient caching). */
  chunkSize: number;
  epochs: number;
  maxSteps?: number;
  learningRate: number;
  warmupRatio: number;
  weightDecay: number;
  maxGradNorm: number;
  loss: AdditiveMarginOptions;
  seed: number;
  /** How AdamW steps the word-embedding table; "exact" unless given. */
  optimizer?: { embeddings?: EmbeddingUpdate };
}

export interface DualEncoderRecord {
  /** 1-based optimizer step and epoch. */
  step: number;
  epoch: number;
  loss: number;
  learningRate: number;
  gradientNorm: number;
  seconds: number;
}

export interface DualEncoderState {
  step: number;
  dropout: number[];
}

/** Batches of one epoch: whole batches and a short last one, unless it holds one pair (no negative, a constant loss). */
export function dualEncoderBatchesPerEpoch(pairs: number, batchSize: number): number {
  return Math.floor(pairs / batchSize) + (pairs % batchSize >= 2 ? 1 : 0);
}

/** Optimizer steps for `pairs` pairs: whole epochs of batches, or `maxSteps`. */
export function dualEncoderSteps(
  pairs: number,
  options: Pick<DualEncoderOptions, "batchSize" | "epochs" | "maxSteps">,
): number {
  return options.maxSteps ?? Math.ceil(options.epochs * dualEncoderBatchesPerEpoch(pairs, options.batchSize));
}

/**
 * LaBSE's dual-encoder training (Feng et al. 2020, §3.1): one shared encoder embeds both
 * sides of a batch of translation pairs, and the bidirectional additive-margin softmax
 * ranks each sentence's translation above the batch's other sentences. The batch is cut
 * into chunks for memory, with gradient caching keeping every in-batch negative.
 * AdamW with linear warm-up and decay, gradients clipped to `maxGradNorm`.
 *
 * The pair order of an epoch is a pure function of (seed, epoch), and the dropout
 * generator is checkpointed with the weights, so a resumed run repeats an uninterrupted one.
 */
export class DualEncoderTrainer implements Resumable<DualEncoderState> {
  readonly optimizer: AdamW;
  readonly batchesPerEpoch: number;
  readonly totalSteps: number;
  step = 0;
  private readonly dropout: Random;
  private readonly schedule: ScheduleOptions;
  private readonly orders: EpochOrders;
  private readonly encodings = new Map<number, [EncodedText, EncodedText]>();

  constructor(
    readonly encoder: SentenceEncoder,
    readonly pairs: { source: string; target: string }[],
    readonly options: DualEncoderOptions,
  ) {
    if (pairs.length < 2 || options.batchSize < 2)
      throw new Error("dual-encoder training needs batches of at least two pairs (one and its negative)");
    this.batchesPerEpoch = dualEncoderBatchesPerEpoch(pairs.length, options.batchSize);
    this.totalSteps = dualEncoderSteps(pairs.length, options);
    this.dropout = new Random(hashSeed(options.seed, 0x64726f70));
    this.orders = new EpochOrders(options.seed);
    this.optimizer = new AdamW({
      learningRate: options.learningRate,
      weightDecay: options.weightDecay,
      embeddings: options.optimizer?.embeddings,
    });
    this.schedule = {
      name: "warmup-linear",
      learningRate: options.learningRate,
      warmupSteps: warmupStepsFor(this.totalSteps, options.warmupRatio),
      totalSteps: this.totalSteps,
    };
  }

  /** The pairs of step `step` (0-based) and its 1-based epoch. */
  batchAt(step: number): { indices: number[]; epoch: number } {
    const epoch = Math.floor(step / this.batchesPerEpoch);
    const batch = step % this.batchesPerEpoch;
    const indices = this.orders
      .of(this.pairs.length, epoch)
      .slice(batch * this.options.batchSize, (batch + 1) * this.options.batchSize);
    return { indices, epoch: epoch + 1 };
  }

  trainStep(): DualEncoderRecord {
    return trainingStep(this, () => {
      const { indices, epoch } = this.batchAt(this.step);
      const encoded = indices.map((index) => this.encodedPair(index));
      const pad = this.encoder.tokenizer.special.pad;
      const sources = splitBatch(
        padBatch(
          encoded.map(([source]) => source),
          pad,
        ),
        this.options.chunkSize,
      );
      const targets = splitBatch(
        padBatch(
          encoded.map(([, target]) => target),
          pad,
        ),
        this.options.chunkSize,
      );
      return {
        lossName: "additive-margin",
        schedule: this.schedule,
        gradients: () =>
          cachedContrastiveGradients(
            this.encoder,
            sources,
            targets,
            (left, right) => additiveMarginLoss(left, right, this.options.loss),
            { training: true, random: this.dropout },
          ),
        record: { epoch },
      };
    });
  }

  /** A pair's word pieces, tokenized the first time a batch takes it (kuromoji is slow) and kept for later epochs. */
  private encodedPair(index: number): [EncodedText, EncodedText] {
    let encoded = this.encodings.get(index);
    if (encoded === undefined) {
      const pair = this.pairs[index]!;
      const [source, target] = this.encoder.tokenize([pair.source, pair.target]);
      encoded = [source!, target!];
      this.encodings.set(index, encoded);
    }
    return encoded;
  }

  parameters(): Map<string, tf.Variable> {
    return this.encoder.trainableParameters();
  }

  sparseTables(): EmbeddingTable[] {
    return this.encoder.sparseTables();
  }

  state(): DualEncoderState {
    return { step: this.step, dropout: this.dropout.saveState() };
  }

  restore(state: DualEncoderState): void {
    this.step = state.step;
    this.dropout.restoreState(state.dropout);
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
