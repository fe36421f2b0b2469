import { BabelbedError } from "../util/errors.js";

type Numbers = ArrayLike<number>;

function checkLengths(x: Numbers, y: Numbers): void {
  if (x.length !== y.length) throw new BabelbedError(`correlation of ${x.length} values with ${y.length} values`);
}

/**
 * Pearson's r. The means are subtracted before multiplying (two passes) so that scores
 * with a large common offset do not lose their digits. NaN when either side is
 * constant or fewer than two values are given, as with `scipy.stats.pearsonr`.
 */
export function pearson(x: Numbers, y: Numbers): number {
  checkLengths(x, y);
  const n = x.length;
  if (n < 2) return Number.NaN;
  let meanX = 0;
  let meanY = 0;
  for (let i = 0; i < n; i++) {
    meanX += x[i]!;
    meanY += y[i]!;
  }
  meanX /= n;
  meanY /= n;
  let covariance = 0;
  let varianceX = 0;
  let varianceY = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - meanX;
    const dy = y[i]! - meanY;
    covariance += dx * dy;
    varianceX += dx * dx;
    varianceY += dy * dy;
  }
  if (varianceX === 0 || varianceY === 0) return Number.NaN;
  // Rounding can carry |r| a hair past 1 for perfectly linear data.
  return Math.max(-1, Math.min(1, covariance / Math.sqrt(varianceX * varianceY)));
}

/**
 * 1-based ranks, tied values sharing the mean of the ranks they span:
 * `scipy.stats.rankdata(values, method="average")`.
 */
export function averageRanks(values: Numbers): Float64Array {
  const n = values.length;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(values[i]!)) throw new BabelbedError(`cannot rank NaN (value ${i})`);
  }
  const order = Array.from({ length: n }, (_, index) => index).sort((a, b) => values[a]! - values[b]! || a - b);
  const ranks = new Float64Array(n);
  let start = 0;
  while (start < n) {
    let end = start + 1;
    while (end < n && values[order[end]!] === values[order[start]!]) end += 1;
    // Positions start..end-1 hold equal values; their 1-based ranks average to (start + 1 + end) / 2.
    const rank = (start + 1 + end) / 2;
    for (let position = start; position < end; position++) ranks[order[position]!] = rank;
    start = end;
  }
  return ranks;
}

/** Spearman's ρ: Pearson's r of the average ranks, which is `scipy.stats.spearmanr` with ties. */
export function spearman(x: Numbers, y: Numbers): number {
  checkLengths(x, y);
  return pearson(averageRanks(x), averageRanks(y));
}
