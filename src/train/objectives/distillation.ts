import * as tf from "@tensorflow/tfjs";
import { padBatch, type EncodedText } from "../../model/batch.js";
import type { SentenceEncoder } from "../../model/sentence-encoder.js";
import { mseLoss } from "../../losses/mse.js";
import { BabelbedError } from "../../util/errors.js";
import { TextIndex, type PreparedBatch, type TrainingObjective } from "./objective.js";

export interface DistillationExample {
  source: string;
  target: string;
  /** The teacher's vector of `source`, computed once and cached. */
  teacher: Float32Array;
}

/**
 * Multilingual knowledge distillation (Reimers & Gurevych 2020, "Making Monolingual Sentence
 * Embeddings Multilingual using Knowledge Distillation"): the student learns to map both the
 * source sentence and its translation onto the teacher's vector of the source, by MSE.
 */
export class DistillationObjective implements TrainingObjective {
  readonly name = "distillation";
  private readonly encodings: EncodedText[];
  private readonly pairs: [number, number][];

  constructor(
    private readonly student: SentenceEncoder,
    private readonly examples: DistillationExample[],
  ) {
    const mismatch = examples.find((example) => example.teacher.length !== student.dimension);
    if (mismatch !== undefined) {
      throw new BabelbedError(
        `the teacher's vectors have ${mismatch.teacher.length} dimensions but the student's have ${student.dimension}; give the student a Dense layer to the teacher's size (in a recipe: the student's "dense: teacher")`,
      );
    }
    const index = new TextIndex();
    this.pairs = examples.map((example) => [index.add(example.source), index.add(example.target)]);
    this.encodings = student.tokenize(index.texts);
  }

  get size(): number {
    return this.examples.length;
  }

  parameters(): Map<string, tf.Variable> {
    return new Map();
  }

  prepare(indices: number[]): PreparedBatch {
    const pad = this.student.tokenizer.special.pad;
    // Sources and translations in one batch: the MSE averages over both, as the paper's two terms.
    const batch = padBatch(
      [
        ...indices.map((index) => this.encodings[this.pairs[index]![0]]!),
        ...indices.map((index) => this.encodings[this.pairs[index]![1]]!),
      ],
      pad,
    );
    const dimension = this.student.dimension;
    const teacher = new Float32Array(indices.length * dimension);
    indices.forEach((index, row) => {
      teacher.set(this.examples[index]!.teacher, row * dimension);
    });
    return {
      batches: [batch],
      loss: (sparse, options) =>
        tf.tidy(() => {
          const targets = tf.tensor2d(teacher, [indices.length, dimension]); // [batch, dim]
          return mseLoss(
            this.student.forward(batch, { ...options, sparse }),
            tf.concat([targets, targets], 0) as tf.Tensor2D,
          );
        }),
    };
  }

  dispose(): void {}
}
