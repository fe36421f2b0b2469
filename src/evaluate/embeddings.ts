import { BabelbedError } from "../util/errors.js";

/** A row-major matrix of sentence embeddings: row i is `data[i * dimension .. (i + 1) * dimension)`. */
export interface EmbeddingMatrix {
  data: Float32Array;
  count: number;
  dimension: number;
}

/** Embeddings as an encoder returns them: one vector per sentence, or already one flat matrix. */
export type Embeddings = readonly Float32Array[] | EmbeddingMatrix;

/** Check shapes and values once, at the door, so that no metric is computed over NaNs. */
export function toMatrix(embeddings: Embeddings, name = "embeddings"): EmbeddingMatrix {
  let matrix: EmbeddingMatrix;
  if (isMatrix(embeddings)) {
    const { data, count, dimension } = embeddings;
    if (
      !Number.isInteger(count) ||
      !Number.isInteger(dimension) ||
      count < 0 ||
      dimension < 1 ||
      data.length !== count * dimension
    ) {
      throw new BabelbedError(`${name}: ${data.length} values do not make ${count} rows of dimension ${dimension}`);
    }
    matrix = embeddings;
  } else {
    const count = embeddings.length;
    const dimension = embeddings[0]?.length ?? 0;
    if (count > 0 && dimension === 0) throw new BabelbedError(`${name}: vectors are empty`);
    const data = new Float32Array(count * dimension);
    embeddings.forEach((vector, index) => {
      if (vector.length !== dimension) {
        throw new BabelbedError(`${name}: vector ${index} has dimension ${vector.length}, vector 0 has ${dimension}`);
      }
      data.set(vector, index * dimension);
    });
    matrix = { data, count, dimension: Math.max(dimension, 1) };
  }
  const bad = matrix.data.findIndex((value) => !Number.isFinite(value));
  if (bad >= 0) {
    throw new BabelbedError(`${name}: vector ${Math.floor(bad / matrix.dimension)} holds ${matrix.data[bad]}`);
  }
  return matrix;
}

function isMatrix(embeddings: Embeddings): embeddings is EmbeddingMatrix {
  return !Array.isArray(embeddings);
}

/** Throw unless two sets of embeddings can be compared row by row. */
export function checkPaired(first: EmbeddingMatrix, second: EmbeddingMatrix, names: [string, string]): void {
  if (first.count !== second.count) {
    throw new BabelbedError(`${names[0]} has ${first.count} vectors but ${names[1]} has ${second.count}`);
  }
  checkSameDimension(first, second, names);
}

export function checkSameDimension(first: EmbeddingMatrix, second: EmbeddingMatrix, names: [string, string]): void {
  if (first.count > 0 && second.count > 0 && first.dimension !== second.dimension) {
    throw new BabelbedError(`${names[0]} has dimension ${first.dimension} but ${names[1]} has ${second.dimension}`);
  }
}

/**
 * A copy with every row scaled to unit length, so that a dot product is a cosine.
 * A zero vector stays zero: its cosine with anything is 0, as with a clamped norm in
 * PyTorch's `cosine_similarity`, rather than NaN.
 */
export function normalizeRows(matrix: EmbeddingMatrix): EmbeddingMatrix {
  const { count, dimension } = matrix;
  const data = new Float32Array(matrix.data.length);
  for (let row = 0; row < count; row++) {
    const offset = row * dimension;
    let sum = 0;
    for (let d = 0; d < dimension; d++) sum += matrix.data[offset + d]! * matrix.data[offset + d]!;
    if (sum === 0) continue;
    const scale = 1 / Math.sqrt(sum);
    for (let d = 0; d < dimension; d++) data[offset + d] = matrix.data[offset + d]! * scale;
  }
  return { data, count, dimension };
}

/**
 * Dot product of row `i` of `a` with row `j` of `b`, accumulated in double precision
 * in index order. `fillBlock` sums in exactly this order, so equal vectors get equal
 * scores wherever they fall, and ties are broken by index rather than by rounding.
 */
export function dot(a: Float32Array, i: number, b: Float32Array, j: number, dimension: number): number {
  const x = i * dimension;
  const y = j * dimension;
  let sum = 0;
  for (let d = 0; d < dimension; d++) sum += a[x + d]! * b[y + d]!;
  return sum;
}

/** Cosine similarity of row i of `first` with row i of `second`, for every i. */
export function pairedCosines(first: Embeddings, second: Embeddings): Float64Array {
  const a = normalizeRows(toMatrix(first, "first embeddings"));
  const b = normalizeRows(toMatrix(second, "second embeddings"));
  checkPaired(a, b, ["first embeddings", "second embeddings"]);
  const similarities = new Float64Array(a.count);
  for (let i = 0; i < a.count; i++) similarities[i] = dot(a.data, i, b.data, i, a.dimension);
  return similarities;
}

export interface BlockOptions {
  /** Rows and columns per block: memory is blockSize² doubles, whatever the matrix size. */
  blockSize?: number;
}

/**
 * Visit the similarity matrix `a · bᵀ` block by block, row blocks outer and column
 * blocks inner, without ever holding more than one block: a 10k × 10k matrix would be
 * 800 MB of doubles. `block[r * columns + c]` is the entry (rowStart + r, columnStart + c).
 * Pass unit-length rows (`normalizeRows`) to get cosines.
 */
export function forEachSimilarityBlock(
  a: EmbeddingMatrix,
  b: EmbeddingMatrix,
  visit: (block: Float64Array, rowStart: number, rows: number, columnStart: number, columns: number) => void,
  options: BlockOptions = {},
): void {
  checkSameDimension(a, b, ["queries", "candidates"]);
  const size = options.blockSize ?? 64;
  if (!Number.isInteger(size) || size < 1)
    throw new BabelbedError(`block size must be a positive integer, got ${size}`);
  const block = new Float64Array(size * size);
  const dimension = a.dimension;
  for (let rowStart = 0; rowStart < a.count; rowStart += size) {
    const rows = Math.min(size, a.count - rowStart);
    for (let columnStart = 0; columnStart < b.count; columnStart += size) {
      const columns = Math.min(size, b.count - columnStart);
      fillBlock(a.data, rowStart, rows, b.data, columnStart, columns, dimension, block);
      visit(block, rowStart, rows, columnStart, columns);
    }
  }
}

/**
 * One block of dot products, four rows by two columns at a time: each loaded value
 * serves two or four products, which makes this about 1.7 times faster than one dot
 * product at a time. Leftover rows and columns fall back to `dot`.
 */
function fillBlock(
  a: Float32Array,
  rowStart: number,
  rows: number,
  b: Float32Array,
  columnStart: number,
  columns: number,
  dimension: number,
  block: Float64Array,
): void {
  let r = 0;
  for (; r + 3 < rows; r += 4) {
    const x0 = (rowStart + r) * dimension;
    const x1 = x0 + dimension;
    const x2 = x1 + dimension;
    const x3 = x2 + dimension;
    let c = 0;
    for (; c + 1 < columns; c += 2) {
      const y0 = (columnStart + c) * dimension;
      const y1 = y0 + dimension;
      let s00 = 0,
        s01 = 0,
        s10 = 0,
        s11 = 0,
        s20 = 0,
        s21 = 0,
        s30 = 0,
        s31 = 0;
      for (let d = 0; d < dimension; d++) {
        const b0 = b[y0 + d]!;
        const b1 = b[y1 + d]!;
        const a0 = a[x0 + d]!;
        const a1 = a[x1 + d]!;
        const a2 = a[x2 + d]!;
        const a3 = a[x3 + d]!;
        s00 += a0 * b0;
        s01 += a0 * b1;
        s10 += a1 * b0;
        s11 += a1 * b1;
        s20 += a2 * b0;
        s21 += a2 * b1;
        s30 += a3 * b0;
        s31 += a3 * b1;
      }
      block[r * columns + c] = s00;
      block[r * columns + c + 1] = s01;
      block[(r + 1) * columns + c] = s10;
      block[(r + 1) * columns + c + 1] = s11;
      block[(r + 2) * columns + c] = s20;
      block[(r + 2) * columns + c + 1] = s21;
      block[(r + 3) * columns + c] = s30;
      block[(r + 3) * columns + c + 1] = s31;
    }
    for (; c < columns; c++) {
      for (let k = 0; k < 4; k++)
        block[(r + k) * columns + c] = dot(a, rowStart + r + k, b, columnStart + c, dimension);
    }
  }
  for (; r < rows; r++) {
    for (let c = 0; c < columns; c++) block[r * columns + c] = dot(a, rowStart + r, b, columnStart + c, dimension);
  }
}

/** The k best candidates of each query, best first: entries `[i * k, (i + 1) * k)`. */
export interface Neighbours {
  k: number;
  indices: Int32Array;
  scores: Float64Array;
}

/**
 * The k nearest neighbours by cosine in both directions, from one pass over the
 * similarity blocks: `forward[i]` are the rows of `b` closest to row i of `a`,
 * `backward[j]` the rows of `a` closest to row j of `b`. Equal scores keep the lower
 * index first, because candidates arrive in increasing index order and only a strictly
 * better score displaces an earlier one. k is capped at the number of candidates.
 */
export function nearestNeighbours(
  a: EmbeddingMatrix,
  b: EmbeddingMatrix,
  k: number,
  options: BlockOptions = {},
): { forward: Neighbours; backward: Neighbours } {
  if (!Number.isInteger(k) || k < 1) throw new BabelbedError(`k must be a positive integer, got ${k}`);
  const x = normalizeRows(a);
  const y = normalizeRows(b);
  const forward = emptyNeighbours(x.count, Math.min(k, y.count));
  const backward = emptyNeighbours(y.count, Math.min(k, x.count));
  forEachSimilarityBlock(
    x,
    y,
    (block, rowStart, rows, columnStart, columns) => {
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < columns; c++) {
          const score = block[r * columns + c]!;
          insert(forward, rowStart + r, columnStart + c, score);
          insert(backward, columnStart + c, rowStart + r, score);
        }
      }
    },
    options,
  );
  return { forward, backward };
}

function emptyNeighbours(count: number, k: number): Neighbours {
  return {
    k,
    indices: new Int32Array(count * k).fill(-1),
    scores: new Float64Array(count * k).fill(Number.NEGATIVE_INFINITY),
  };
}

function insert(neighbours: Neighbours, query: number, candidate: number, score: number): void {
  const { k, indices, scores } = neighbours;
  if (k === 0) return;
  const base = query * k;
  if (!(score > scores[base + k - 1]!)) return;
  let position = base + k - 1;
  while (position > base && score > scores[position - 1]!) {
    scores[position] = scores[position - 1]!;
    indices[position] = indices[position - 1]!;
    position -= 1;
  }
  scores[position] = score;
  indices[position] = candidate;
}
