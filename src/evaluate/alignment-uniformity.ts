import { BabelbedError } from "../util/errors.js";
import { Random } from "../util/random.js";
import { toMatrix, type Embeddings } from "./embeddings.js";

/** A gold-scored pair of sentences, by their rows in the embeddings. */
export interface IndexedPair {
  first: number;
  second: number;
  score: number;
}

/**
 * The distinct sentences of scored pairs (STS rows), in first-seen order, and each pair by their
 * rows: encode `texts` once, then pass the vectors and `pairs` to `alignmentUniformity`.
 */
export function indexScoredPairs(rows: Iterable<{ sentence1: string; sentence2: string; score: number }>): {
  texts: string[];
  pairs: IndexedPair[];
} {
  const texts: string[] = [];
  const positions = new Map<string, number>();
  const at = (text: string) => {
    let position = positions.get(text);
    if (position === undefined) {
      position = texts.push(text) - 1;
      positions.set(text, position);
    }
    return position;
  };
  const pairs = [...rows].map((row) => ({ first: at(row.sentence1), second: at(row.sentence2), score: row.score }));
  return { texts, pairs };
}

export interface AlignmentUniformityOptions {
  /** Pairs scored at least this are positives (SimCSE: 4 of STS-B's 0–5); on the scores' own scale. */
  threshold?: number;
  /** Above this many sentences, uniformity and anisotropy use a seeded random subset of this size. */
  maxSentences?: number;
  seed?: number;
}

export interface AlignmentUniformityMetrics {
  /** Mean ‖f(x) − f(y)‖² over positive pairs, on unit vectors: lower is better aligned. */
  alignment: number;
  /** log mean exp(−2‖f(x) − f(y)‖²) over distinct sentence pairs, on unit vectors: lower is more uniform. */
  uniformity: number;
  /** Mean cosine of distinct sentence pairs: near 1 is a collapsed, anisotropic space. */
  anisotropy: number;
  positivePairs: number;
  sentences: number;
}

/**
 * Alignment and uniformity (Wang & Isola 2020, "Understanding Contrastive Representation
 * Learning through Alignment and Uniformity on the Hypersphere", eqs. 1–2, t = 2, α = 2), as
 * SimCSE (Gao et al. 2021, §5) measures them on STS-B: alignment over the pairs scored at or
 * above the threshold, uniformity over every distinct pair of the sentences. Beside them, the
 * anisotropy of Ethayarajh (2019) and BERT-flow (Li et al. 2020): the mean cosine of sentence
 * pairs. Computed in float64 over all distinct pairs, so no sampling enters unless the set is
 * larger than `maxSentences`.
 */
export function alignmentUniformity(
  embeddings: Embeddings,
  pairs: readonly IndexedPair[],
  options: AlignmentUniformityOptions = {},
): AlignmentUniformityMetrics {
  const threshold = options.threshold ?? 4;
  const maxSentences = options.maxSentences ?? 4000;
  const { data, count, dimension } = toMatrix(embeddings);
  if (count < 2) throw new BabelbedError(`alignment-uniformity needs at least 2 sentences, got ${count}`);
  const unit = normalizedRows(data, count, dimension);

  let alignmentSum = 0;
  let positives = 0;
  for (const [index, pair] of pairs.entries()) {
    for (const row of [pair.first, pair.second]) {
      if (!Number.isInteger(row) || row < 0 || row >= count) {
        throw new BabelbedError(`alignment-uniformity: pair ${index} names sentence ${row}, but there are ${count}`);
      }
    }
    if (pair.score < threshold) continue;
    alignmentSum += compare(unit, pair.first, pair.second, dimension).squaredDistance;
    positives += 1;
  }
  if (positives === 0)
    throw new BabelbedError(`alignment-uniformity: no pair is scored ${threshold} or more, so alignment is undefined`);

  const rows =
    count <= maxSentences
      ? [...Array(count).keys()]
      : new Random(options.seed ?? 0).shuffle([...Array(count).keys()]).slice(0, maxSentences);
  // Each kernel term lies in [e^−8, 1], so a plain sum neither overflows nor underflows.
  let kernelSum = 0;
  let cosineSum = 0;
  let distinct = 0;
  for (let a = 0; a < rows.length; a++) {
    for (let b = a + 1; b < rows.length; b++) {
      const { cosine, squaredDistance } = compare(unit, rows[a]!, rows[b]!, dimension);
      kernelSum += Math.exp(-2 * squaredDistance);
      cosineSum += cosine;
      distinct += 1;
    }
  }
  return {
    alignment: alignmentSum / positives,
    uniformity: Math.log(kernelSum / distinct),
    anisotropy: cosineSum / distinct,
    positivePairs: positives,
    sentences: rows.length,
  };
}

/** Rows scaled to unit length in float64, with torch's 1e-12 floor on the norm. */
function normalizedRows(data: Float32Array, count: number, dimension: number): Float64Array {
  const unit = new Float64Array(count * dimension);
  for (let i = 0; i < count; i++) {
    let norm = 0;
    for (let k = 0; k < dimension; k++) norm += data[i * dimension + k]! ** 2;
    const scale = 1 / Math.max(Math.sqrt(norm), 1e-12);
    for (let k = 0; k < dimension; k++) unit[i * dimension + k] = data[i * dimension + k]! * scale;
  }
  return unit;
}

/** Cosine and squared distance of two unit rows (both directly, so a zero vector stays at distance 0 from itself). */
function compare(
  unit: Float64Array,
  i: number,
  j: number,
  dimension: number,
): { cosine: number; squaredDistance: number } {
  let cosine = 0;
  let squaredDistance = 0;
  for (let k = 0; k < dimension; k++) {
    const x = unit[i * dimension + k]!;
    const y = unit[j * dimension + k]!;
    cosine += x * y;
    squaredDistance += (x - y) ** 2;
  }
  return { cosine, squaredDistance };
}
