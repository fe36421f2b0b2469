import { shuffled } from "../data/shuffle.js";

/** A 32-bit seed from several integers (FNV-1a over their bytes), for orders that are pure functions of (seed, epoch, …). */
export function hashSeed(...values: number[]): number {
  let hash = 0x811c9dc5;
  for (const value of values) {
    for (let shift = 0; shift < 32; shift += 8) {
      hash ^= (value >>> shift) & 0xff;
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
  }
  return hash;
}

/**
 * The order in which epoch `epoch` (0-based) visits `size` examples: a Fisher–Yates shuffle
 * of 0..size−1 seeded by hashSeed(seed, epoch) or, when a loop draws from several data
 * streams, hashSeed(seed, epoch, stream). A pure function, so a resumed run needs only the
 * step to find its batch. The loops use it as they always have, so seeds keep their batches:
 * `Trainer` passes the objective's index as the stream, `DualEncoderTrainer` no stream, and
 * `Pretrainer` no stream but a seed of its own per task, hashSeed(seed, task), with
 * endless passes in place of epochs (see `BatchCycle`).
 */
export function epochOrder(size: number, seed: number, epoch: number, stream?: number): number[] {
  const indices = Array.from({ length: size }, (_, index) => index);
  return shuffled(indices, stream === undefined ? hashSeed(seed, epoch) : hashSeed(seed, epoch, stream));
}

/** `epochOrder` computed once per (epoch, stream) and kept while the loop stays in that epoch. */
export class EpochOrders {
  private cached = { epoch: -1, orders: new Map<number | undefined, number[]>() };

  constructor(private readonly seed: number) {}

  of(size: number, epoch: number, stream?: number): number[] {
    if (this.cached.epoch !== epoch) this.cached = { epoch, orders: new Map() };
    let order = this.cached.orders.get(stream);
    if (order === undefined) {
      order = epochOrder(size, this.seed, epoch, stream);
      this.cached.orders.set(stream, order);
    }
    return order;
  }
}

/**
 * Endless passes over `items`, a batch at a time, pass p in `epochOrder(items.length, seed, p)`;
 * batch i is found from i alone, so there is nothing to checkpoint. A batch may span two passes.
 */
export class BatchCycle<T> {
  private readonly orders: EpochOrders;

  constructor(
    private readonly items: T[],
    seed: number,
  ) {
    this.orders = new EpochOrders(seed);
  }

  /** The `index`-th batch (0-based) of `size` items, or of all items when there are fewer. */
  batch(index: number, size: number): T[] {
    const count = Math.min(size, this.items.length);
    const batch: T[] = [];
    for (let position = index * count; position < (index + 1) * count; position++) {
      const order = this.orders.of(this.items.length, Math.floor(position / this.items.length));
      batch.push(this.items[order[position % this.items.length]!]!);
    }
    return batch;
  }
}
