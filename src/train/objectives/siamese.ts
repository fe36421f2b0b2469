import * as tf from "@tensorflow/tfjs";
import { padBatch, type EncodedText } from "../../model/batch.js";
import type { SentenceEncoder } from "../../model/sentence-encoder.js";
import { cosineSimilarityLoss } from "../../losses/cosine-similarity.js";
import type { SoftmaxClassifier } from "../../losses/softmax.js";
import { tripletLoss } from "../../losses/triplet.js";
import { TextIndex, type PreparedBatch, type TrainingObjective } from "./objective.js";

/**
 * The shared machinery of SBERT's Siamese (and triplet) objectives (Reimers & Gurevych 2019):
 * each example is a tuple of sentences embedded by the same encoder, and a loss over the
 * tuple's vectors. Sentences are tokenized once, when the objective is built.
 */
abstract class TupleObjective<Example> implements TrainingObjective {
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
      padBatch(indices.map((index) => this.encodings[this.tuples[index]![column]!]!), this.encoder.tokenizer.special.pad),
    );
    const chosen = indices.map((index) => this.examples[index]!);
    return {
      batches,
      loss: (sparse, options) =>
        tf.tidy(() => this.tupleLoss(batches.map((batch) => this.encoder.forward(batch, { ...options, sparse })), chosen)),
    };
  }

  protected abstract tupleLoss(vectors: tf.Tensor2D[], examples: Example[]): tf.Scalar;

  dispose(): void {}
}

export interface LabelledPairExample {
  sentence1: string;
  sentence2: string;
  label: number;
}

/** SBERT's classification objective: softmax over (u, v, |u − v|), for NLI labels. */
export class ClassificationObjective extends TupleObjective<LabelledPairExample> {
  constructor(encoder: SentenceEncoder, examples: LabelledPairExample[], readonly classifier: SoftmaxClassifier) {
    super("classification", encoder, examples, (example) => [example.sentence1, example.sentence2]);
  }

  override parameters(): Map<string, tf.Variable> {
    return new Map([...this.classifier.parameters()].map(([name, variable]) => [`softmax_loss.${name}`, variable]));
  }

  protected tupleLoss([u, v]: tf.Tensor2D[], examples: LabelledPairExample[]): tf.Scalar {
    return this.classifier.loss(u!, v!, Int32Array.from(examples, (example) => example.label));
  }

  override dispose(): void {
    this.classifier.dispose();
  }
}

export interface ScoredPairExample {
  sentence1: string;
  sentence2: string;
  /** Gold similarity scaled to [0, 1]. */
  score: number;
}

/** SBERT's regression objective: cosine of (u, v) against the gold score, MSE. */
export class RegressionObjective extends TupleObjective<ScoredPairExample> {
  constructor(encoder: SentenceEncoder, examples: ScoredPairExample[]) {
    super("regression", encoder, examples, (example) => [example.sentence1, example.sentence2]);
  }

  protected tupleLoss([u, v]: tf.Tensor2D[], examples: ScoredPairExample[]): tf.Scalar {
    return cosineSimilarityLoss(u!, v!, Float32Array.from(examples, (example) => example.score));
  }
}

export interface TripletExample {
  anchor: string;
  positive: string;
  negative: string;
}

/** SBERT's triplet objective: Euclidean distance with margin 1. */
export class TripletObjective extends TupleObjective<TripletExample> {
  constructor(encoder: SentenceEncoder, examples: TripletExample[], readonly margin = 1) {
    super("triplet", encoder, examples, (example) => [example.anchor, example.positive, example.negative]);
  }

  protected tupleLoss([anchor, positive, negative]: tf.Tensor2D[]): tf.Scalar {
    return tripletLoss(anchor!, positive!, negative!, this.margin);
  }
}
