import { PairHeap } from "./pair-heap.js";
import { PairTable } from "./pair-table.js";

export interface MergeTrainingSettings {
  vocabSize: number;
  /** Pairs seen fewer times than this are never merged. */
  minFrequency: number;
  /** Placed first, in this order. */
  specialTokens: readonly string[];
  /** Keep only the most frequent characters; words lose the others, as in Hugging Face. */
  limitAlphabet?: number;
  continuingSubwordPrefix: string;
}

// Heap keys pack two symbol ids into one exactly representable double (ids stay below 2^26).
const pairBase = 2 ** 26;

/**
 * Hugging Face's WordPiece training (its BPE trainer with a continuation prefix): start from the
 * characters, repeatedly merge the most frequent adjacent pair, counting pairs once and then
 * updating only the words that contain the merged pair.
 *
 * Empties `wordCounts` once the words are encoded, so that their strings do not occupy memory
 * during the merges.
 */
export function learnVocabulary(wordCounts: Map<string, number>, settings: MergeTrainingSettings): string[] {
  const prefix = settings.continuingSubwordPrefix;
  const vocab: string[] = [];
  const ids = new Map<string, number>();
  const add = (token: string): number => {
    let id = ids.get(token);
    if (id === undefined) {
      id = vocab.length;
      vocab.push(token);
      ids.set(token, id);
    }
    return id;
  };
  for (const token of settings.specialTokens) add(token);
  for (const character of alphabet(wordCounts, settings.limitAlphabet)) add(character);

  // Every word's symbols live in one pool; merges only shrink a word, so it is rewritten in place.
  let total = 0;
  for (const word of wordCounts.keys()) total += word.length;
  const pool = new Int32Array(total);
  const starts = new Int32Array(wordCounts.size);
  const lengths = new Int32Array(wordCounts.size);
  const counts = new Float64Array(wordCounts.size);
  let offset = 0;
  let wordIndex = 0;
  for (const [word, count] of wordCounts) {
    starts[wordIndex] = offset;
    counts[wordIndex] = count;
    let first = true;
    for (const character of word) {
      if (!ids.has(character)) continue;
      pool[offset] = add(first ? character : prefix + character);
      offset += 1;
      first = false;
    }
    lengths[wordIndex] = offset - (starts[wordIndex] as number);
    wordIndex += 1;
  }
  wordCounts.clear();

  const pairs = new PairTable();
  for (let word = 0; word < starts.length; word += 1) {
    const start = starts[word] as number;
    const end = start + (lengths[word] as number);
    for (let index = start; index + 1 < end; index += 1) {
      pairs.add(pool[index] as number, pool[index + 1] as number, counts[word] as number, word);
    }
  }
  const heap = new PairHeap();
  for (const [left, right, count] of pairs.entries()) heap.push(count, left * pairBase + right);

  const visited = new Int32Array(starts.length).fill(-1);
  // Pairs that gained occurrences during one merge are (x, merged) or (merged, y); each is
  // queued once with its final count. Keeping x and y (small integers) avoids boxing keys.
  const grownBefore = new Set<number>();
  const grownAfter = new Set<number>();
  const top = { count: 0, key: 0 };
  for (let merge = 0; vocab.length < settings.vocabSize && heap.pop(top); merge += 1) {
    const left = Math.floor(top.key / pairBase);
    const right = top.key - left * pairBase;
    const live = pairs.count(left, right);
    if (live <= 0) continue;
    if (live !== top.count) {
      // The count fell since this entry was pushed; requeue it at its true place.
      heap.push(live, top.key);
      continue;
    }
    if (live < settings.minFrequency) break;
    const rightText = vocab[right] as string;
    const merged = add(
      (vocab[left] as string) + (rightText.startsWith(prefix) ? rightText.slice(prefix.length) : rightText),
    );
    const holders = pairs.entry(left, right) ?? [];
    grownBefore.clear();
    grownAfter.clear();
    for (let index = 1; index < holders.length; index += 1) {
      const word = holders[index] as number;
      // A word is listed once per time it gained the pair, so it may appear more than once.
      if (visited[word] === merge) continue;
      visited[word] = merge;
      mergeInWord(word, left, right, merged);
    }
    pairs.delete(left, right);
    for (const before of grownBefore) {
      const count = pairs.count(before, merged);
      if (count > 0) heap.push(count, before * pairBase + merged);
    }
    for (const after of grownAfter) {
      const count = pairs.count(merged, after);
      if (count > 0) heap.push(count, merged * pairBase + after);
    }
  }
  return vocab;

  function mergeInWord(word: number, left: number, right: number, merged: number): void {
    const start = starts[word] as number;
    const end = start + (lengths[word] as number);
    const count = counts[word] as number;
    let write = start;
    let read = start;
    while (read < end) {
      if (read + 1 < end && pool[read] === left && pool[read + 1] === right) {
        // The symbol before is the already rewritten one, which may itself be a fresh merge.
        if (write > start) {
          const previous = pool[write - 1] as number;
          pairs.add(previous, left, -count, word);
          pairs.add(previous, merged, count, word);
          grownBefore.add(previous);
        }
        if (read + 2 < end) {
          const next = pool[read + 2] as number;
          pairs.add(right, next, -count, word);
          pairs.add(merged, next, count, word);
          grownAfter.add(next);
        }
        pool[write] = merged;
        write += 1;
        read += 2;
      } else {
        pool[write] = pool[read] as number;
        write += 1;
        read += 1;
      }
    }
    lengths[word] = write - start;
  }
}

/** The characters of the corpus in code point order, limited to the most frequent if asked. */
function alphabet(wordCounts: ReadonlyMap<string, number>, limit: number | undefined): string[] {
  const frequencies = new Map<number, number>();
  for (const [word, count] of wordCounts) {
    for (let index = 0; index < word.length; index += 1) {
      const codePoint = word.codePointAt(index) as number;
      frequencies.set(codePoint, (frequencies.get(codePoint) ?? 0) + count);
      if (codePoint > 0xffff) index += 1;
    }
  }
  let codePoints = [...frequencies.keys()];
  if (limit !== undefined && codePoints.length > limit) {
    codePoints.sort((a, b) => (frequencies.get(b) as number) - (frequencies.get(a) as number) || a - b);
    codePoints = codePoints.slice(0, limit);
  }
  return codePoints.sort((a, b) => a - b).map((codePoint) => String.fromCodePoint(codePoint));
}
