import * as tf from "@tensorflow/tfjs";
import { padBatch, type EncodedText } from "../../model/batch.js";
import type { SentenceEncoder } from "../../model/sentence-encoder.js";
import { TextIndex, type PreparedBatch, type TrainingObjective } from "./objective.js";

/**
 * The shared machinery of SBERT's Siamese (and triplet) objectives (Reimers & Gurevych 2019):
 * each example is a tuple of sentences embedded by the same encoder, and a loss over the
 * tuple's vectors. Sentences are tokenized once, when the objective is built.
 */
export abstract class TupleObjective<Example> implements TrainingObjective {
  private readonly encodings: EncodedText[];
  private readonly tuples: number[][];

  constructor(
    readonly name: string,
    protected readonly encoder: SentenceEncoder,
    protected readonly examples: Example[],
    sentences: (example: Example) => string[],
  ) {
    const index = new TextIndex();
    this.tuples = examples.map((example) => sentences(example).map((text) => index.add(text)));
    this.encodings = encoder.tokenize(index.texts);
  }

  get size(): number {
    return this.examples.length;
  }

  parameters(): Map<string, tf.Variable> {
    return new Map();
  }

  prepare(indices: number[]): PreparedBatch {
    const arity = this.tuples[0]?.length ?? 0;
    const batches = Array.from({ length: arity }, (_, column) =>
      padBatch(
        indices.map((index) => this.encodings[this.tuples[index]![column]!]!),
        this.encoder.tokenizer.special.pad,
      ),
    );
    const chosen = indices.map((index) => this.examples[index]!);
    return {
      batches,
      loss: (sparse, options) =>
        tf.tidy(() =>
          this.tupleLoss(
            batches.map((batch) => this.encoder.forward(batch, { ...options, sparse })),
            chosen,
          ),
        ),
    };
  }

  protected abstract tupleLoss(vectors: tf.Tensor2D[], examples: Example[]): tf.Scalar;

  dispose(): void {}
}
