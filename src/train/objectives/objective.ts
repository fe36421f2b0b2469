import type * as tf from "@tensorflow/tfjs";
import type { TokenBatch } from "../../model/batch.js";
import type { SparseLookup } from "../../model/embedding.js";
import type { ForwardOptions } from "../../model/transformer.js";

/** One step's work for an objective: the token batches it reads, and its loss over them. */
export interface PreparedBatch {
  batches: TokenBatch[];
  loss(sparse: SparseLookup, options: ForwardOptions): tf.Scalar;
}

/**
 * A training objective over a fixed set of examples, as a (dataset, loss) pair of
 * sentence-transformers' `fit`. Examples are addressed by index so that the batch
 * order is a pure function of the seed, which makes resumed runs exact.
 */
export interface TrainingObjective {
  readonly name: string;
  readonly size: number;
  /** Trainable parameters besides the encoder's (a classifier head), by checkpoint name. */
  parameters(): Map<string, tf.Variable>;
  prepare(indices: number[]): PreparedBatch;
  dispose(): void;
}

/** Distinct texts and each one's position, so each sentence is tokenized once per run. */
export class TextIndex {
  readonly texts: string[] = [];
  private readonly positions = new Map<string, number>();

  add(text: string): number {
    let position = this.positions.get(text);
    if (position === undefined) {
      position = this.texts.length;
      this.texts.push(text);
      this.positions.set(text, position);
    }
    return position;
  }
}
