import { BabelbedError } from "../util/errors.js";
import { nearestNeighbours, toMatrix, type BlockOptions, type Embeddings, type Neighbours } from "./embeddings.js";

export interface RetrievalInput extends BlockOptions {
  /** Embeddings of the sentences in one language; row i translates target row i. */
  source: Embeddings;
  /** Embeddings of their translations, in the same order. */
  target: Embeddings;
}

export interface RetrievalMetrics {
  /** Share of source sentences whose nearest target is their own translation. */
  sourceToTarget: number;
  /** Share of target sentences whose nearest source is their own translation. */
  targetToSource: number;
  /** Mean of the two directions, as LaBSE reports Tatoeba. */
  average: number;
  count: number;
  /** The retrieved row for each query, to inspect the mistakes. */
  predictions: { sourceToTarget: Int32Array; targetToSource: Int32Array };
}

/**
 * Translation retrieval accuracy, the Tatoeba similarity search task of LASER
 * (Artetxe & Schwenk, 2019, "Massively Multilingual Sentence Embeddings for Zero-Shot
 * Cross-Lingual Transfer and Beyond"), also used by XTREME (Hu et al., 2020) and LaBSE
 * (Feng et al., 2022). Each source sentence retrieves the target with the highest
 * cosine similarity among all targets; it is right when that is its own translation.
 * Both directions are reported. Ties go to the lowest index, so a collapsed model
 * (all embeddings equal) scores 1/n, not a lucky number. LASER reports the error rate,
 * which is 1 − accuracy.
 *
 * Pairs that also occur in the training data should be removed from both sides before
 * calling this (for jpn-eng, 50 pairs overlap small_parallel_enja's training set).
 */
export function evaluateTranslationRetrieval(input: RetrievalInput): RetrievalMetrics {
  const source = toMatrix(input.source, "source embeddings");
  const target = toMatrix(input.target, "target embeddings");
  if (source.count !== target.count) {
    throw new BabelbedError(
      `translation retrieval: ${source.count} source vectors but ${target.count} targets; row i must translate row i`,
    );
  }
  if (source.count === 0) throw new BabelbedError("translation retrieval: no sentences");
  const { forward, backward } = nearestNeighbours(source, target, 1, input);
  const sourceToTarget = accuracy(forward);
  const targetToSource = accuracy(backward);
  return {
    sourceToTarget,
    targetToSource,
    average: (sourceToTarget + targetToSource) / 2,
    count: source.count,
    predictions: { sourceToTarget: forward.indices, targetToSource: backward.indices },
  };
}

function accuracy(neighbours: Neighbours): number {
  let correct = 0;
  neighbours.indices.forEach((found, query) => {
    if (found === query) correct += 1;
  });
  return correct / neighbours.indices.length;
}
