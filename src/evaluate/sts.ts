import { BabelbedError } from "../util/errors.js";
import { pearson, spearman } from "./correlation.js";
import { pairedCosines, type Embeddings } from "./embeddings.js";

export interface StsInput {
  /** Embeddings of sentence 1 of each pair. */
  embeddings1: Embeddings;
  /** Embeddings of sentence 2 of each pair, in the same order. */
  embeddings2: Embeddings;
  /**
   * Gold similarity of each pair, on any scale: correlations do not change when the
   * scores are shifted or stretched, so [0, 5] and [0, 1] give the same result.
   */
  scores: ArrayLike<number>;
}

export interface StsMetrics {
  /** Spearman's ρ between cosine similarity and gold (average ranks for ties, as scipy). */
  spearman: number;
  /** Pearson's r between cosine similarity and gold. */
  pearson: number;
  count: number;
}

/**
 * Semantic textual similarity, as the STS Benchmark (Cer et al., 2017, "SemEval-2017
 * Task 1") is scored for sentence embeddings in Sentence-BERT (Reimers & Gurevych,
 * 2019) and sentence-transformers' `EmbeddingSimilarityEvaluator`: the cosine
 * similarity of each pair's two embeddings, correlated with the gold scores.
 * Spearman's ρ is the headline number; Pearson's r is reported beside it.
 *
 * Cross-lingual STS (SemEval-2017 tracks such as en–de, the benchmark of Reimers &
 * Gurevych, 2020, "Making Monolingual Sentence Embeddings Multilingual using
 * Knowledge Distillation") is the same computation with sentence 1 and sentence 2 in
 * different languages: embed each side in its own language and pass them here.
 *
 * A correlation is undefined when the similarities or the gold scores are all equal, and
 * over fewer than two pairs: that is an error, never a NaN reported as a score.
 */
export function evaluateSts(input: StsInput): StsMetrics {
  const similarities = pairedCosines(input.embeddings1, input.embeddings2);
  if (similarities.length !== input.scores.length) {
    throw new BabelbedError(`STS: ${similarities.length} embedded pairs but ${input.scores.length} gold scores`);
  }
  for (let i = 0; i < input.scores.length; i++) {
    if (!Number.isFinite(input.scores[i]!)) throw new BabelbedError(`STS: gold score ${i} is ${input.scores[i]}`);
  }
  if (similarities.length < 2)
    throw new BabelbedError(
      `STS: ${similarities.length} pair${similarities.length === 1 ? "" : "s"}; a correlation needs at least 2`,
    );
  const metrics = {
    spearman: spearman(similarities, input.scores),
    pearson: pearson(similarities, input.scores),
    count: similarities.length,
  };
  if (Number.isNaN(metrics.spearman) || Number.isNaN(metrics.pearson)) {
    const constant =
      new Set(Array.from(input.scores)).size === 1
        ? "every gold score is the same"
        : "the model gives every pair the same similarity";
    throw new BabelbedError(`STS: the correlation is undefined: ${constant}`);
  }
  return metrics;
}
