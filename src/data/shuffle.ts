import { BabelbedError } from "../util/errors.js";
import { Random } from "../util/random.js";

/** A shuffled copy of `items` (Fisher–Yates): the same seed gives the same order on every machine. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  return new Random(seed).shuffle([...items]);
}

/**
 * Shuffle a stream too large to hold, through a buffer of `bufferSize` rows, as
 * tf.data's `shuffle(bufferSize)` does: each output is drawn at random from the
 * buffer and replaced by the next input. Rows move at most about `bufferSize`
 * places, so the buffer should be large next to any ordering in the file (a corpus
 * sorted by topic wants a buffer spanning several topics). Deterministic for a seed.
 */
export async function* shuffleStream<T>(
  rows: AsyncIterable<T> | Iterable<T>,
  options: { seed: number; bufferSize: number },
): AsyncGenerator<T> {
  if (!Number.isInteger(options.bufferSize) || options.bufferSize < 1) {
    throw new BabelbedError(`shuffle buffer size must be a positive integer, got ${options.bufferSize}`);
  }
  const random = new Random(options.seed);
  const buffer: T[] = [];
  for await (const row of rows) {
    if (buffer.length < options.bufferSize) {
      buffer.push(row);
      continue;
    }
    const index = random.integer(buffer.length);
    yield buffer[index]!;
    buffer[index] = row;
  }
  random.shuffle(buffer);
  yield* buffer;
}

/** How much to hold out: a fraction in (0, 1), or a whole number of rows. */
export type HeldOutSize = number;

/**
 * Split rows in memory into a training part and a held-out part of an exact size,
 * chosen at random by the seed; both parts keep the rows' original order.
 */
export function splitHeldOut<T>(
  items: readonly T[],
  options: { heldOut: HeldOutSize; seed: number },
): { train: T[]; heldOut: T[] } {
  const chosen = heldOutIndices(items.length, options);
  const train: T[] = [];
  const heldOut: T[] = [];
  items.forEach((item, index) => {
    (chosen.has(index) ? heldOut : train).push(item);
  });
  return { train, heldOut };
}

/**
 * The row indices `splitHeldOut` holds out of `total` rows, found without the rows, so a
 * stream whose length is known splits exactly in one pass. A partial Fisher–Yates shuffle
 * over a sparse map: memory grows with the held-out count, not with `total`.
 */
export function heldOutIndices(total: number, options: { heldOut: HeldOutSize; seed: number }): Set<number> {
  const count = heldOutCount(total, options.heldOut);
  const random = new Random(options.seed);
  const displaced = new Map<number, number>();
  const at = (index: number) => displaced.get(index) ?? index;
  const chosen = new Set<number>();
  for (let position = 0; position < count; position++) {
    const other = position + random.integer(total - position);
    chosen.add(at(other));
    displaced.set(other, at(position));
  }
  return chosen;
}

function heldOutCount(total: number, heldOut: HeldOutSize): number {
  if (heldOut > 0 && heldOut < 1) return Math.round(total * heldOut);
  if (Number.isInteger(heldOut) && heldOut >= 1 && heldOut < total) return heldOut;
  throw new BabelbedError(
    `held-out size must be a fraction in (0, 1) or a whole number of rows below ${total}, got ${heldOut}`,
  );
}

/**
 * Whether the row at `index` belongs to the held-out part, decided by a hash of the
 * seed and the index alone. A stream can then be split without holding it: read it
 * once keeping the rows where this is false (training) and once keeping the rows
 * where it is true (held out), and the two parts never overlap. The held-out share
 * is `fraction` in expectation, not exactly.
 */
export function isHeldOut(index: number, options: { fraction: number; seed: number }): boolean {
  if (!(options.fraction > 0 && options.fraction < 1)) {
    throw new BabelbedError(`held-out fraction must lie in (0, 1), got ${options.fraction}`);
  }
  return hashIndex(options.seed, index) / 4294967296 < options.fraction;
}

/** One part of a stream split by `isHeldOut`. */
export async function* streamPart<T>(
  rows: AsyncIterable<T> | Iterable<T>,
  options: { part: "train" | "held-out"; fraction: number; seed: number },
): AsyncGenerator<T> {
  const wantHeldOut = options.part === "held-out";
  let index = 0;
  for await (const row of rows) {
    if (isHeldOut(index, options) === wantHeldOut) yield row;
    index += 1;
  }
}

/**
 * A 32-bit hash of (seed, index): two rounds of the MurmurHash3 finalizer, which
 * mixes every input bit into every output bit, so neighbouring indices land far apart.
 */
function hashIndex(seed: number, index: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ (index >>> 0) ^ Math.floor(index / 4294967296)) >>> 0;
  for (let round = 0; round < 2; round++) {
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    h = (h + 0x6d2b79f5) >>> 0;
  }
  return h >>> 0;
}

/** Group a stream into arrays of `size`; the last batch may be smaller unless `dropLast`. */
export async function* batches<T>(
  rows: AsyncIterable<T> | Iterable<T>,
  size: number,
  options: { dropLast?: boolean } = {},
): AsyncGenerator<T[]> {
  if (!Number.isInteger(size) || size < 1)
    throw new BabelbedError(`batch size must be a positive integer, got ${size}`);
  let batch: T[] = [];
  for await (const row of rows) {
    batch.push(row);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0 && !options.dropLast) yield batch;
}
