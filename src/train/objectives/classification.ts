import type * as tf from "@tensorflow/tfjs";
import { nliLabels } from "../../data/source.js";
import { SoftmaxClassifier } from "../../losses/softmax.js";
import type { SentenceEncoder } from "../../model/sentence-encoder.js";
import { defineObjective } from "./descriptor.js";
import { TupleObjective } from "./tuple.js";

export interface LabelledPairExample {
  sentence1: string;
  sentence2: string;
  label: number;
}

/** SBERT's classification objective: softmax over (u, v, |u − v|), for NLI labels. */
export class ClassificationObjective extends TupleObjective<LabelledPairExample> {
  constructor(
    encoder: SentenceEncoder,
    examples: LabelledPairExample[],
    readonly classifier: SoftmaxClassifier,
  ) {
    super("classification", encoder, examples, (example) => [example.sentence1, example.sentence2]);
  }

  override parameters(): Map<string, tf.Variable> {
    return new Map([...this.classifier.parameters()].map(([name, variable]) => [`softmax_loss.${name}`, variable]));
  }

  protected tupleLoss([u, v]: tf.Tensor2D[], examples: LabelledPairExample[]): tf.Scalar {
    return this.classifier.loss(
      u!,
      v!,
      Int32Array.from(examples, (example) => example.label),
    );
  }

  override dispose(): void {
    this.classifier.dispose();
  }
}

/** `type: classification`: NLI pairs (premise, hypothesis, label), a softmax head seeded per objective. */
export const classification = defineObjective({
  type: "classification",
  rowKind: "labelled-pairs",
  options: {},
  texts: (row) => [row.premise, row.hypothesis],
  build: (encoder, rows, _options, { seed, position }) =>
    new ClassificationObjective(
      encoder,
      rows.map((row) => ({ sentence1: row.premise, sentence2: row.hypothesis, label: nliLabels.indexOf(row.label) })),
      SoftmaxClassifier.initialize(encoder.dimension, nliLabels.length, seed + position),
    ),
});
