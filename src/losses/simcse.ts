import type * as tf from "@tensorflow/tfjs";
import { multipleNegativesRankingLoss } from "./multiple-negatives-ranking.js";

export interface SimcseOptions {
  /** τ of the paper; the cosines are divided by it (default 0.05, i.e. scale 20). */
  temperature?: number;
}

/**
 * Unsupervised SimCSE (Gao et al. 2021, "SimCSE: Simple Contrastive Learning of Sentence
 * Embeddings", eq. 4): the same batch encoded twice with different dropout masks; view one of
 * sentence `i` must pick view two of sentence `i` among view two of every sentence in the
 * batch, cross-entropy over `cos / τ`. It is the in-batch ranking loss with scale `1 / τ`,
 * one direction, no hard negatives, as the authors' code computes it.
 */
export function simcseLoss(first: tf.Tensor2D, second: tf.Tensor2D, options: SimcseOptions = {}): tf.Scalar {
  const temperature = options.temperature ?? 0.05;
  if (!(temperature > 0)) throw new Error(`SimCSE temperature must be positive, got ${temperature}`);
  return multipleNegativesRankingLoss(first, second, { scale: 1 / temperature });
}
