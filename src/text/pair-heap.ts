/**
 * Max-heap of (count, pair key) entries for merge training: highest count first, and among equal
 * counts the smallest key (the pair of lowest symbol ids), which makes training deterministic.
 * Entries may go stale; the trainer checks each popped entry against the live count.
 */
export class PairHeap {
  private counts = new Float64Array(1024);
  private keys = new Float64Array(1024);
  private length = 0;

  get size(): number {
    return this.length;
  }

  push(count: number, key: number): void {
    if (this.length === this.counts.length) this.grow();
    let index = this.length;
    this.length += 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.before(count, key, this.counts[parent] as number, this.keys[parent] as number)) break;
      this.counts[index] = this.counts[parent] as number;
      this.keys[index] = this.keys[parent] as number;
      index = parent;
    }
    this.counts[index] = count;
    this.keys[index] = key;
  }

  /** Removes the top entry; returns false when the heap is empty. */
  pop(into: { count: number; key: number }): boolean {
    if (this.length === 0) return false;
    into.count = this.counts[0] as number;
    into.key = this.keys[0] as number;
    this.length -= 1;
    if (this.length > 0) this.siftDown(this.counts[this.length] as number, this.keys[this.length] as number);
    return true;
  }

  private siftDown(count: number, key: number): void {
    let index = 0;
    const half = this.length >> 1;
    while (index < half) {
      let child = 2 * index + 1;
      const right = child + 1;
      if (
        right < this.length &&
        this.before(
          this.counts[right] as number,
          this.keys[right] as number,
          this.counts[child] as number,
          this.keys[child] as number,
        )
      ) {
        child = right;
      }
      if (!this.before(this.counts[child] as number, this.keys[child] as number, count, key)) break;
      this.counts[index] = this.counts[child] as number;
      this.keys[index] = this.keys[child] as number;
      index = child;
    }
    this.counts[index] = count;
    this.keys[index] = key;
  }

  private before(count: number, key: number, otherCount: number, otherKey: number): boolean {
    return count > otherCount || (count === otherCount && key < otherKey);
  }

  private grow(): void {
    const counts = new Float64Array(this.counts.length * 2);
    const keys = new Float64Array(this.keys.length * 2);
    counts.set(this.counts);
    keys.set(this.keys);
    this.counts = counts;
    this.keys = keys;
  }
}
