import { BabelbedError } from "../util/errors.js";
import { nearestNeighbours, toMatrix, type BlockOptions, type Embeddings, type Neighbours } from "./embeddings.js";

/**
 * How a pair's cosine is compared with its neighbourhood (Artetxe & Schwenk, 2019,
 * section 3): "ratio" divides by the mean similarity of both sentences' k nearest
 * neighbours, "distance" subtracts it, "absolute" is the bare cosine (no margin).
 */
export type Margin = "ratio" | "distance" | "absolute";

/**
 * Which pairs become candidates: "forward" pairs each source with its best target,
 * "backward" each target with its best source, "intersection" keeps the pairs both
 * directions agree on, "union" keeps both directions' pairs (LASER calls it "max").
 */
export type CandidateMode = "forward" | "backward" | "intersection" | "union";

export interface MiningOptions extends BlockOptions {
  /** Neighbourhood size for the margin and the number of candidates looked at; 4 in the paper. */
  k?: number;
  margin?: Margin;
  mode?: CandidateMode;
}

export interface MinedPair {
  source: number;
  target: number;
  /** The margin score that candidates are ranked and thresholded by. */
  score: number;
  cosine: number;
}

/**
 * Margin-based bitext mining (Artetxe & Schwenk, 2019, "Margin-based Parallel Corpus
 * Mining with Multilingual Sentence Embeddings"). With the ratio margin,
 *
 *   score(x, y) = cos(x, y) / ( Σ_{z∈NN_k(x)} cos(x, z) / 2k + Σ_{z∈NN_k(y)} cos(y, z) / 2k ),
 *
 * where NN_k(x) are the k targets nearest to x and NN_k(y) the k sources nearest to y.
 * As in LASER's `mine_bitexts.py`, each sentence's candidates are its k nearest
 * neighbours by cosine, and it keeps the one with the best margin score. Returns the
 * candidates from the best score down (ties by source, then target index).
 */
export function mineBitext(
  sourceEmbeddings: Embeddings,
  targetEmbeddings: Embeddings,
  options: MiningOptions = {},
): MinedPair[] {
  const source = toMatrix(sourceEmbeddings, "source embeddings");
  const target = toMatrix(targetEmbeddings, "target embeddings");
  if (source.count === 0 || target.count === 0) throw new BabelbedError("bitext mining: both sides need sentences");
  const k = options.k ?? 4;
  const margin = options.margin ?? "ratio";
  const mode = options.mode ?? "union";
  const { forward, backward } = nearestNeighbours(source, target, k, options);
  const sourceMeans = neighbourhoodMeans(forward);
  const targetMeans = neighbourhoodMeans(backward);
  const score = (cosine: number, sourceIndex: number, targetIndex: number): number => {
    const neighbourhood = (sourceMeans[sourceIndex]! + targetMeans[targetIndex]!) / 2;
    return margin === "ratio" ? cosine / neighbourhood : margin === "distance" ? cosine - neighbourhood : cosine;
  };
  const forwardBest = bestByMargin(forward, (query, candidate, cosine) => score(cosine, query, candidate));
  const backwardBest = bestByMargin(backward, (query, candidate, cosine) => score(cosine, candidate, query));

  const pairs = new Map<string, MinedPair>();
  const add = (pair: MinedPair) => pairs.set(`${pair.source}\t${pair.target}`, pair);
  if (mode === "forward" || mode === "union") {
    forwardBest.forEach((best, query) => {
      add({ source: query, target: best.candidate, score: best.score, cosine: best.cosine });
    });
  }
  if (mode === "backward" || mode === "union") {
    backwardBest.forEach((best, query) => {
      add({ source: best.candidate, target: query, score: best.score, cosine: best.cosine });
    });
  }
  if (mode === "intersection") {
    forwardBest.forEach((best, query) => {
      if (backwardBest[best.candidate]!.candidate === query) {
        add({ source: query, target: best.candidate, score: best.score, cosine: best.cosine });
      }
    });
  }
  return [...pairs.values()].sort((a, b) => b.score - a.score || a.source - b.source || a.target - b.target);
}

function neighbourhoodMeans(neighbours: Neighbours): Float64Array {
  const count = neighbours.scores.length / neighbours.k;
  const means = new Float64Array(count);
  for (let query = 0; query < count; query++) {
    let sum = 0;
    for (let rank = 0; rank < neighbours.k; rank++) sum += neighbours.scores[query * neighbours.k + rank]!;
    means[query] = sum / neighbours.k;
  }
  return means;
}

interface Best {
  candidate: number;
  score: number;
  cosine: number;
}

/** Each query's candidate with the highest margin score; on a tie the nearer (earlier) neighbour. */
function bestByMargin(
  neighbours: Neighbours,
  score: (query: number, candidate: number, cosine: number) => number,
): Best[] {
  const count = neighbours.scores.length / neighbours.k;
  const best: Best[] = [];
  for (let query = 0; query < count; query++) {
    let chosen: Best | undefined;
    for (let rank = 0; rank < neighbours.k; rank++) {
      const candidate = neighbours.indices[query * neighbours.k + rank]!;
      const cosine = neighbours.scores[query * neighbours.k + rank]!;
      const value = score(query, candidate, cosine);
      if (chosen === undefined || value > chosen.score) chosen = { candidate, score: value, cosine };
    }
    best.push(chosen!);
  }
  return best;
}

export interface ThresholdResult {
  /** Pairs scoring at least this are accepted; +Infinity (nothing accepted) when no candidate is gold. */
  threshold: number;
  precision: number;
  recall: number;
  f1: number;
  /** Candidates accepted at the threshold, and how many of them are gold pairs. */
  accepted: number;
  correct: number;
  gold: number;
}

/**
 * The threshold that maximizes F1 against gold pairs, as the BUCC 2017/2018 shared
 * task (Zweigenbaum et al.) is scored in LASER's `bucc.py`: walk the candidates from
 * the best score down and place the threshold halfway between the last accepted
 * score and the next. Unlike that script, candidates with equal scores are accepted or
 * rejected together, since no threshold can separate them.
 */
export function optimizeThreshold(
  candidates: readonly MinedPair[],
  gold: Iterable<readonly [number, number]>,
): ThresholdResult {
  const goldKeys = new Set<string>();
  for (const [source, target] of gold) goldKeys.add(`${source}\t${target}`);
  if (goldKeys.size === 0) throw new BabelbedError("bitext mining: no gold pairs to tune the threshold on");
  const sorted = [...candidates].sort((a, b) => b.score - a.score);
  let best: ThresholdResult = {
    threshold: Number.POSITIVE_INFINITY,
    precision: 0,
    recall: 0,
    f1: 0,
    accepted: 0,
    correct: 0,
    gold: goldKeys.size,
  };
  let accepted = 0;
  let correct = 0;
  for (let start = 0; start < sorted.length; ) {
    const score = sorted[start]!.score;
    let end = start;
    for (; end < sorted.length && sorted[end]!.score === score; end++) {
      accepted += 1;
      if (goldKeys.has(`${sorted[end]!.source}\t${sorted[end]!.target}`)) correct += 1;
    }
    if (correct > 0) {
      const precision = correct / accepted;
      const recall = correct / goldKeys.size;
      const f1 = (2 * precision * recall) / (precision + recall);
      if (f1 > best.f1) {
        const next = sorted[end]?.score;
        const middle = next === undefined ? score : (score + next) / 2;
        // Two nearly equal doubles can have a midpoint that rounds onto the lower one.
        const threshold = next !== undefined && middle > next ? middle : score;
        best = { threshold, precision, recall, f1, accepted, correct, gold: goldKeys.size };
      }
    }
    start = end;
  }
  return best;
}

export interface MiningInput extends MiningOptions {
  source: Embeddings;
  target: Embeddings;
  /** The true pairs as (source row, target row). */
  gold: Iterable<readonly [number, number]>;
}

export interface MiningMetrics extends ThresholdResult {
  candidates: number;
  k: number;
  margin: Margin;
  mode: CandidateMode;
}

/**
 * Bitext mining scored BUCC-style: mine candidates with the margin criterion of
 * Artetxe & Schwenk (2019), then report precision, recall and F1 at the threshold that
 * maximizes F1 on the gold pairs (an optimistic figure, as in the BUCC papers, since
 * the threshold is tuned on the same gold it is scored against).
 */
export function evaluateBitextMining(input: MiningInput): MiningMetrics {
  const k = input.k ?? 4;
  const margin = input.margin ?? "ratio";
  const mode = input.mode ?? "union";
  const candidates = mineBitext(input.source, input.target, { ...input, k, margin, mode });
  const sourceCount = toMatrix(input.source, "source embeddings").count;
  const targetCount = toMatrix(input.target, "target embeddings").count;
  const gold = [...input.gold];
  for (const [source, target] of gold) {
    if (
      !(
        Number.isInteger(source) &&
        source >= 0 &&
        source < sourceCount &&
        Number.isInteger(target) &&
        target >= 0 &&
        target < targetCount
      )
    ) {
      throw new BabelbedError(
        `bitext mining: gold pair (${source}, ${target}) is outside ${sourceCount} sources × ${targetCount} targets`,
      );
    }
  }
  return { ...optimizeThreshold(candidates, gold), candidates: candidates.length, k, margin, mode };
}
