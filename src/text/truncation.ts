import { BabelbedError } from "../util/errors.js";

/**
 * How many tokens of each sequence `longest_first` keeps when the pair has `budget` tokens left
 * after the special tokens, following the Rust `tokenizers` crate: if the shorter sequence fits
 * in half the budget the longer one takes the rest, otherwise both are cut to half, the extra
 * odd token going to the second sequence when lengths tie and to the longer one otherwise.
 *
 * The lengths must be the ones the crate itself sees; since tokenizers 0.23 these are the early-
 * stopped encodings (see `earlyStopLength`), which is why the rule is applied to those.
 */
export function longestFirstLengths(first: number, second: number, budget: number): [number, number] {
  if (first + second <= budget) return [first, second];
  const swapped = first > second;
  let shorter = swapped ? second : first;
  let longer = swapped ? first : second;
  longer = shorter > budget ? shorter : Math.max(shorter, budget - shorter);
  if (shorter + longer > budget) {
    shorter = Math.floor(budget / 2);
    longer = shorter + (budget % 2);
  }
  const [keepFirst, keepSecond] = swapped ? [longer, shorter] : [shorter, longer];
  return [Math.min(first, keepFirst), Math.min(second, keepSecond)];
}

/** Budget left for content tokens, or an error when the special tokens alone do not fit. */
export function contentBudget(maxLength: number, specialCount: number): number {
  if (!Number.isInteger(maxLength) || maxLength < specialCount) {
    throw new BabelbedError(
      `maxLength ${maxLength} is too small: the special tokens alone need ${specialCount} positions`,
    );
  }
  return maxLength - specialCount;
}

/**
 * Since tokenizers 0.23 (the "truncation early exit" change) a sequence stops being tokenized at
 * the first word boundary where it already holds `maxLength` tokens (the full limit, special
 * tokens not deducted), so `longest_first` compares these early-stopped lengths: a very long
 * sequence counts as only slightly over the limit. The reference fixtures confirm this rule.
 */
export function earlyStopLength(maxLength: number): number {
  return maxLength;
}
