import * as tf from "@tensorflow/tfjs";
import { padBatch, type EncodedText } from "../../model/batch.js";
import type { SentenceEncoder } from "../../model/sentence-encoder.js";
import { multipleNegativesRankingLoss } from "../../losses/multiple-negatives-ranking.js";
import { simcseLoss } from "../../losses/simcse.js";
import type { PreparedBatch, TrainingObjective } from "./objective.js";
import { TupleObjective } from "./tuple.js";

/**
 * Unsupervised SimCSE (Gao et al. 2021, "SimCSE", §3): every sentence of the batch goes
 * through the encoder twice; with dropout on, the two passes draw different masks from the
 * trainer's seeded generator, and dropout is the only augmentation. The other sentences of
 * the batch are the negatives. Without dropout (`training: false`) the views coincide.
 */
export class SimcseObjective implements TrainingObjective {
  readonly name = "simcse";
  private readonly encodings: EncodedText[];

  constructor(
    private readonly encoder: SentenceEncoder,
    private readonly sentences: string[],
    readonly temperature = 0.05,
  ) {
    if (!(temperature > 0)) throw new Error(`simcse: temperature must be positive, got ${temperature}`);
    this.encodings = encoder.tokenize(sentences);
  }

  get size(): number {
    return this.sentences.length;
  }

  parameters(): Map<string, tf.Variable> {
    return new Map();
  }

  prepare(indices: number[]): PreparedBatch {
    const batch = padBatch(
      indices.map((index) => this.encodings[index]!),
      this.encoder.tokenizer.special.pad,
    );
    return {
      batches: [batch],
      loss: (sparse, options) =>
        tf.tidy(() => {
          const first = this.encoder.forward(batch, { ...options, sparse }); // [batch, dimension]
          const second = this.encoder.forward(batch, { ...options, sparse }); // [batch, dimension], fresh dropout masks
          return simcseLoss(first, second, { temperature: this.temperature });
        }),
    };
  }

  dispose(): void {}
}

export interface ContrastiveExample {
  anchor: string;
  positive: string;
  /** A hard negative; either every example of an objective has one or none has. */
  negative?: string;
}

export interface MultipleNegativesSettings {
  /** 1 / temperature; sentence-transformers and supervised SimCSE use 20. */
  scale?: number;
  symmetric?: boolean;
}

/**
 * sentence-transformers' `MultipleNegativesRankingLoss` and supervised SimCSE (Gao et al.
 * 2021, §4: NLI entailment as positive, contradiction as hard negative): anchor, positive and
 * optional hard negative, the batch's other positives and negatives as in-batch negatives.
 */
export class MultipleNegativesObjective extends TupleObjective<ContrastiveExample> {
  readonly scale: number;
  readonly symmetric: boolean;

  constructor(encoder: SentenceEncoder, examples: ContrastiveExample[], settings: MultipleNegativesSettings = {}) {
    const withNegative = examples.filter((example) => example.negative !== undefined).length;
    if (withNegative !== 0 && withNegative !== examples.length) {
      throw new Error(
        `multiple-negatives: ${withNegative} of ${examples.length} examples have a hard negative; give one to every example or to none`,
      );
    }
    super("multiple-negatives", encoder, examples, (example) =>
      example.negative === undefined
        ? [example.anchor, example.positive]
        : [example.anchor, example.positive, example.negative],
    );
    this.scale = settings.scale ?? 20;
    this.symmetric = settings.symmetric ?? false;
  }

  protected tupleLoss([anchors, positives, negatives]: tf.Tensor2D[]): tf.Scalar {
    return multipleNegativesRankingLoss(anchors!, positives!, {
      negatives,
      scale: this.scale,
      symmetric: this.symmetric,
    });
  }
}

/** What `nliTriplets` needs of a labelled pair (the `LabelledPair` rows of `data/` fit). */
export interface NliPair {
  premise: string;
  hypothesis: string;
  label: "entailment" | "neutral" | "contradiction";
}

/**
 * Supervised SimCSE's training tuples from NLI pairs (Gao et al. 2021, §4): the premise as
 * anchor, each of its entailment hypotheses as positive and, with `hardNegatives` (default), one
 * of its contradiction hypotheses as hard negative (the k-th entailment takes the k-th
 * contradiction, cycling), so the result does not depend on a seed. Neutral pairs are unused;
 * with hard negatives, premises that have no contradiction are left out. Premises keep the
 * order in which they first appear.
 */
export function nliTriplets(pairs: Iterable<NliPair>, options: { hardNegatives?: boolean } = {}): ContrastiveExample[] {
  const hardNegatives = options.hardNegatives ?? true;
  const premises = new Map<string, { entailments: string[]; contradictions: string[] }>();
  for (const pair of pairs) {
    if (pair.label === "neutral") continue;
    let entry = premises.get(pair.premise);
    if (entry === undefined) {
      entry = { entailments: [], contradictions: [] };
      premises.set(pair.premise, entry);
    }
    (pair.label === "entailment" ? entry.entailments : entry.contradictions).push(pair.hypothesis);
  }
  const examples: ContrastiveExample[] = [];
  for (const [premise, { entailments, contradictions }] of premises) {
    if (hardNegatives && contradictions.length === 0) continue;
    entailments.forEach((positive, k) => {
      examples.push(
        hardNegatives
          ? { anchor: premise, positive, negative: contradictions[k % contradictions.length]! }
          : { anchor: premise, positive },
      );
    });
  }
  return examples;
}
