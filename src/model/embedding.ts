import * as tf from "@tensorflow/tfjs";

/**
 * A lookup table stored as blocks of rows.
 *
 * tfjs differentiates `gather` into a dense `[rows, width]` gradient, which for a
 * 250k-token vocabulary is a quarter of a gigabyte every step. Training therefore
 * never differentiates through the table itself: a step copies the rows its batch
 * touches into a small variable (`SparseRows`), differentiates that, and writes
 * the updated rows back block by block, so no step allocates a whole-table tensor.
 */
export class EmbeddingTable {
  /**
   * Set by an optimizer that defers the updates of rows a step did not touch (exact AdamW):
   * brings the given sorted rows (every row when undefined) up to date. Every read of the
   * table (`gatherRows`, `toTensor`) calls it first, so no reader sees a row behind.
   */
  catchUp: ((sortedIds?: Int32Array) => void) | undefined;

  constructor(
    readonly name: string,
    readonly rows: number,
    readonly width: number,
    readonly blocks: tf.Variable[],
    readonly blockRows: number,
  ) {}

  /** A table holding a copy of `values` `[rows, width]`. */
  static fromTensor(name: string, values: tf.Tensor2D, blockRows = defaultBlockRows): EmbeddingTable {
    const [rows, width] = values.shape;
    const blocks = blockRanges(rows, blockRows).map(([start, size]) => {
      const block = tf.tidy(() => values.slice([start, 0], [size, width]));
      const variable = tf.variable(block, true);
      block.dispose();
      return variable;
    });
    return new EmbeddingTable(name, rows, width, blocks, blockRows);
  }

  /** A zero table with the same layout as `like` (optimizer moments), built block by block. */
  static zerosLike(like: EmbeddingTable): EmbeddingTable {
    const blocks = like.blocks.map((block) => {
      const zeros = tf.zerosLike(block);
      const variable = tf.variable(zeros, false);
      zeros.dispose();
      return variable;
    });
    return new EmbeddingTable(like.name, like.rows, like.width, blocks, like.blockRows);
  }

  /** Rows for sorted, unique ids, in that order: `[ids.length, width]`. */
  gatherRows(sortedIds: Int32Array): tf.Tensor2D {
    this.catchUp?.(sortedIds);
    return tf.tidy(() => {
      const parts: tf.Tensor2D[] = [];
      forEachBlock(sortedIds, this.blockRows, (block, start, local) => {
        parts.push(tf.gather(this.blocks[block]!, tf.tensor1d(local, "int32")) as tf.Tensor2D);
        void start;
      });
      if (parts.length === 0) return tf.zeros([0, this.width]) as tf.Tensor2D;
      return parts.length === 1 ? parts[0]! : (tf.concat(parts, 0) as tf.Tensor2D);
    });
  }

  /** Overwrite the rows of sorted, unique ids with `values` `[ids.length, width]`. */
  scatterRows(sortedIds: Int32Array, values: tf.Tensor2D): void {
    let offset = 0;
    forEachBlock(sortedIds, this.blockRows, (block, _start, local) => {
      const variable = this.blocks[block]!;
      const updated = tf.tidy(() => {
        const rows = values.slice([offset, 0], [local.length, this.width]);
        const indices = tf.tensor2d(local, [local.length, 1], "int32");
        // tfjs's CPU kernel writes the update into its input's buffer, which clones of the block
        // (`toTensor`) and the tensor it was sliced from share: scatter into a private copy there.
        const base = tf.getBackend() === "cpu" ? tf.mul(variable, 1) : variable;
        return tf.tensorScatterUpdate(base, indices, rows);
      });
      variable.assign(updated);
      updated.dispose();
      offset += local.length;
    });
  }

  /** Overwrite the whole table with `values` `[rows, width]`, block by block. */
  assign(values: tf.Tensor2D): void {
    if (values.shape[0] !== this.rows || values.shape[1] !== this.width) {
      throw new Error(`${this.name}: expected [${this.rows}, ${this.width}], got [${values.shape.join(", ")}]`);
    }
    this.catchUp?.(); // settle deferred updates first, so none lands on the new values
    this.blocks.forEach((block, index) => {
      const start = index * this.blockRows;
      const slice = tf.tidy(() => values.slice([start, 0], [block.shape[0]!, this.width]));
      block.assign(slice);
      slice.dispose();
    });
  }

  /** The whole table as one tensor (for export and tied decoders); the caller disposes it. */
  toTensor(): tf.Tensor2D {
    this.catchUp?.();
    return this.storedTensor();
  }

  /**
   * The rows as stored, deferred updates not applied: for training checkpoints, which save the
   * optimizer's record of those too, so a resumed run repeats the uninterrupted one bit for bit.
   */
  storedTensor(): tf.Tensor2D {
    return tf.tidy(
      () => (this.blocks.length === 1 ? this.blocks[0]!.clone() : tf.concat(this.blocks, 0)) as tf.Tensor2D,
    );
  }

  dispose(): void {
    for (const block of this.blocks) block.dispose();
  }
}

/** Rows per block: small enough that rewriting one block is cheap, large enough to keep lookups few. */
const defaultBlockRows = 8192;

function blockRanges(rows: number, blockRows: number): [number, number][] {
  const ranges: [number, number][] = [];
  for (let start = 0; start < rows; start += blockRows) ranges.push([start, Math.min(blockRows, rows - start)]);
  return ranges;
}

/** Calls `visit` once per block that holds any of the sorted ids, with the ids local to it. */
function forEachBlock(
  sortedIds: Int32Array,
  blockRows: number,
  visit: (block: number, start: number, local: Int32Array) => void,
): void {
  let begin = 0;
  while (begin < sortedIds.length) {
    const block = Math.floor(sortedIds[begin]! / blockRows);
    const start = block * blockRows;
    let end = begin;
    while (end < sortedIds.length && sortedIds[end]! < start + blockRows) end++;
    const local = new Int32Array(end - begin);
    for (let i = begin; i < end; i++) local[i - begin] = sortedIds[i]! - start;
    visit(block, start, local);
    begin = end;
  }
}

/** The sorted distinct values of several id arrays. */
export function uniqueSorted(arrays: ArrayLike<number>[]): Int32Array {
  const seen = new Set<number>();
  for (const array of arrays) for (let i = 0; i < array.length; i++) seen.add(array[i]!);
  return Int32Array.from(seen).sort();
}

/**
 * The rows of one table that a training step touches, as a trainable variable.
 * Lookups inside the step read from here so that gradients are `[touched, width]`.
 */
export class SparseRows {
  readonly variable: tf.Variable;
  private readonly position = new Map<number, number>();

  constructor(
    readonly table: EmbeddingTable,
    readonly ids: Int32Array,
  ) {
    ids.forEach((id, index) => {
      this.position.set(id, index);
    });
    const rows = table.gatherRows(ids);
    this.variable = tf.variable(rows, true);
    rows.dispose();
  }

  /** Map table ids to positions in `variable`. */
  localIds(ids: ArrayLike<number>): Int32Array {
    const local = new Int32Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const index = this.position.get(ids[i]!);
      if (index === undefined) throw new Error(`${this.table.name}: id ${ids[i]} was not prepared for this step`);
      local[i] = index;
    }
    return local;
  }

  dispose(): void {
    this.variable.dispose();
  }
}

/** Tables whose touched rows are trainable in the current step. */
export type SparseLookup = Map<EmbeddingTable, SparseRows>;

/**
 * Embed `ids` (shape `shape`) from `table`: from the step's trainable rows when the
 * table is in `sparse`, otherwise straight from the blocks (no gradient to the table).
 */
export function embed(table: EmbeddingTable, ids: Int32Array, shape: number[], sparse?: SparseLookup): tf.Tensor {
  const rows = sparse?.get(table);
  if (rows !== undefined) {
    const local = tf.tensor(rows.localIds(ids), shape, "int32");
    return tf.gather(rows.variable, local);
  }
  const unique = uniqueSorted([ids]);
  const position = new Map<number, number>();
  unique.forEach((id, index) => {
    position.set(id, index);
  });
  const local = new Int32Array(ids.length);
  for (let i = 0; i < ids.length; i++) local[i] = position.get(ids[i]!)!;
  const gathered = table.gatherRows(unique);
  const result = tf.gather(gathered, tf.tensor(local, shape, "int32"));
  gathered.dispose();
  return result;
}
