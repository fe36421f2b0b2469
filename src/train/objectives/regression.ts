import type * as tf from "@tensorflow/tfjs";
import { cosineSimilarityLoss } from "../../losses/cosine-similarity.js";
import type { SentenceEncoder } from "../../model/sentence-encoder.js";
import { defineObjective } from "./descriptor.js";
import { TupleObjective } from "./tuple.js";

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
    return cosineSimilarityLoss(
      u!,
      v!,
      Float32Array.from(examples, (example) => example.score),
    );
  }
}

/** `type: regression`: scored pairs, their scores mapped onto [0, 1] by the data's `scoreRange`. */
export const regression = defineObjective({
  type: "regression",
  rowKind: "scored-pairs",
  options: {},
  texts: (row) => [row.sentence1, row.sentence2],
  build: (encoder, rows) => new RegressionObjective(encoder, rows),
});
