import * as tf from "@tensorflow/tfjs";
import type { EmbeddingTable } from "../model/embedding.js";

/**
 * Exact AdamW for row-sparse tables without touching every row every step.
 *
 * Torch's dense AdamW moves every row of an embedding table on every step: a row the batch does
 * not touch has a zero gradient, so step j does
 *   p ← p(1 − lr_j·wd),  m ← β1·m,  v ← β2·v,  p ← p − lr_j/c1_j · m / (sqrt(v)/sqrt(c2_j) + ε)
 * with c1_j = 1 − β1^j, c2_j = 1 − β2^j. A row last updated at step s and next read at step T
 * has missed steps j = s+1..T. With k = j − s, m_j = β1^k m_s and v_j = β2^k v_s, so
 *   p_T = Δ(s,T)·p_s − Σ_k a_k · m_s / (b_k · sqrt(v_s) + ε)
 *   a_k = lr_j/c1_j · β1^k · Δ(j,T),   b_k = β2^(k/2) / sqrt(c2_j),   Δ(a,b) = Π_{i=a+1..b} (1 − lr_i·wd)
 *   m_T = β1^(T−s) m_s,   v_T = β2^(T−s) v_s
 * which is torch's sequence of updates regrouped (float32 rounding apart). Δ comes from prefix sums
 * of log(1 − lr·wd) over the recorded learning rates. The ε keeps the momentum sum from a closed
 * form, but its terms shrink geometrically: |m_s|/sqrt(v_s) ≤ R = (1−β1)/sqrt(1−β2) / (1 − ρ) with
 * ρ = β1/sqrt(β2) (m and v are sums of the same gradients), and sqrt(c2_j)/c1_j ≤ C, so term k is at
 * most lr·C·R·ρ^k and every term after the K-th sums to at most lr·C·R·ρ^(K+1)/(1 − ρ). K is the
 * first count for which that tail is below 2^-30 (half a float32 ulp of any weight of magnitude
 * ≥ 1/64): about 180 steps for β = (0.9, 0.999) at lr 5e-4. Terms past K are left out.
 */
export interface AdamConstants {
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** The learning rate of every step since `origin`, and prefix sums of log(1 − lr·wd). */
export class StepHistory {
  private rates: number[] = [];
  private logDecay: number[] = [0];
  /** The largest learning rate recorded: it bounds the momentum terms a catch-up needs. */
  highestRate = 0;

  constructor(
    private origin: number,
    readonly weightDecay: number,
  ) {}

  /** Forget every step up to `step` (all rows are caught up to it, as after a checkpoint restore). */
  restart(step: number): void {
    this.origin = step;
    this.rates = [];
    this.logDecay = [0];
  }

  record(step: number, learningRate: number): void {
    if (step !== this.origin + this.rates.length + 1) throw new Error(`AdamW: step ${step} recorded out of order`);
    this.rates.push(learningRate);
    this.highestRate = Math.max(this.highestRate, learningRate);
    this.logDecay.push(this.logDecay[this.logDecay.length - 1]! + Math.log1p(-learningRate * this.weightDecay));
  }

  /** Every recorded rate, as float64 bits in int32 pairs (tfjs tensors have no float64), from step origin + 1. */
  bits(): { origin: number; bits: Int32Array } {
    return { origin: this.origin, bits: new Int32Array(Float64Array.from(this.rates).buffer) };
  }

  /** Replay rates saved by `bits`, recomputing the decay sums exactly as they were first summed. */
  replay(origin: number, bits: Int32Array): void {
    this.restart(origin);
    const rates = new Float64Array(bits.buffer.slice(bits.byteOffset, bits.byteOffset + bits.byteLength));
    rates.forEach((rate, index) => {
      this.record(origin + index + 1, rate);
    });
  }

  rate(step: number): number {
    return this.rates[step - this.origin - 1]!;
  }

  /** Π_{i=from+1..to} (1 − lr_i·wd), 1 when the table is spared from decay. */
  decay(from: number, to: number, decays: boolean): number {
    if (!decays || from >= to) return 1;
    return Math.exp(this.logDecay[to - this.origin]! - this.logDecay[Math.max(from, this.origin) - this.origin]!);
  }
}

/** Terms past which the momentum moves of a resting row sum to under 2^-30 (see above). */
export function momentumTerms(constants: AdamConstants, maxLearningRate: number): number {
  const { beta1, beta2 } = constants;
  const rho = beta1 / Math.sqrt(beta2);
  if (rho >= 1) throw new Error(`AdamW: exact embedding updates need beta1 < sqrt(beta2), got ${beta1}, ${beta2}`);
  const ratio = (1 - beta1) / Math.sqrt(1 - beta2) / (1 - rho);
  let correction = 1; // the limit of sqrt(c2_j)/c1_j; early steps can exceed it
  for (let j = 1; j <= 10_000; j++) correction = Math.max(correction, Math.sqrt(1 - beta2 ** j) / (1 - beta1 ** j));
  const scale = (maxLearningRate * correction * ratio) / (1 - rho);
  if (scale <= 0) return 0;
  return Math.max(0, Math.ceil(Math.log(2 ** -30 / scale) / Math.log(rho) - 1));
}

/** One table's weights and moments, and the step each row was last brought up to. */
export interface TableState {
  table: EmbeddingTable;
  first: EmbeddingTable;
  second: EmbeddingTable;
  lastStep: Int32Array;
  moving: Uint8Array; // 1 where the row's moments may be non-zero
  decays: boolean;
}

/** Elements of the largest `[rows, terms, width]` temporary a catch-up builds. */
const elementBudget = 1 << 22;
const termsPerPass = 16;
/** Blocks settled together: each block of a window is rewritten once per table, whatever the chunking. */
const blocksPerWindow = 8;

/**
 * Bring the rows `ids` (sorted, unique; every row when undefined) of `state` up to step `target`,
 * applying the zero-gradient steps each missed, as torch's dense AdamW would have.
 */
export function catchUpRows(
  state: TableState,
  ids: Int32Array | undefined,
  target: number,
  history: StepHistory,
  constants: AdamConstants,
  terms: number,
): void {
  const window = state.table.blockRows * blocksPerWindow;
  const count = ids === undefined ? state.table.rows : ids.length;
  let resting: number[] = [];
  let moving: number[] = [];
  let windowEnd = -1;
  const settleWindow = () => {
    if (resting.length + moving.length > 0) settle(state, resting, moving, target, history, constants, terms);
    resting = [];
    moving = [];
  };
  for (let i = 0; i < count; i++) {
    const id = ids === undefined ? i : ids[i]!;
    if (id >= windowEnd) {
      settleWindow();
      windowEnd = (Math.floor(id / window) + 1) * window;
    }
    if (state.lastStep[id]! >= target) continue;
    (state.moving[id] ? moving : resting).push(id);
  }
  settleWindow();
}

interface Settled {
  ids: number[];
  value: tf.Tensor2D;
  first?: tf.Tensor2D;
  second?: tf.Tensor2D;
}

/** Catch up one window's rows, then write each table's rows back in one scatter. */
function settle(
  state: TableState,
  resting: number[],
  moving: number[],
  target: number,
  history: StepHistory,
  constants: AdamConstants,
  terms: number,
): void {
  const since = new Map<number, number>();
  for (const id of [...resting, ...moving]) since.set(id, state.lastStep[id]!);
  // Marked first: the reads below go through the table's own catch-up, which must find nothing to do.
  for (const id of since.keys()) state.lastStep[id] = target;
  const parts: Settled[] = [];
  try {
    if (resting.length > 0 && state.decays) parts.push(decayRows(state, resting, since, target, history));
    if (moving.length > 0) parts.push(...moveRows(state, moving, since, target, history, constants, terms));
    write(state.table, parts, (part) => part.value);
    const moved = parts.filter((part) => part.first !== undefined);
    write(state.first, moved, (part) => part.first!);
    write(state.second, moved, (part) => part.second!);
  } finally {
    for (const part of parts)
      tf.dispose([part.value, part.first, part.second].filter((tensor) => tensor !== undefined));
  }
}

/** Scatter the parts' rows into `table` at once, in id order. */
function write(table: EmbeddingTable, parts: Settled[], pick: (part: Settled) => tf.Tensor2D): void {
  if (parts.length === 0) return;
  const ids = parts.flatMap((part) => part.ids);
  const order = ids.map((_, index) => index).sort((a, b) => ids[a]! - ids[b]!);
  const values = tf.tidy(() => {
    const all = parts.length === 1 ? pick(parts[0]!) : tf.concat(parts.map(pick), 0);
    return tf.gather(all, tf.tensor1d(Int32Array.from(order), "int32")) as tf.Tensor2D;
  });
  table.scatterRows(
    Int32Array.from(order, (index) => ids[index]!),
    values,
  );
  values.dispose();
}

/** Rows with zero moments: only the decay product applies. */
function decayRows(
  state: TableState,
  ids: number[],
  since: Map<number, number>,
  target: number,
  history: StepHistory,
): Settled {
  const scale = Float32Array.from(ids, (id) => history.decay(since.get(id)!, target, state.decays));
  const value = tf.tidy(
    () => tf.mul(state.table.gatherRows(Int32Array.from(ids)), tf.tensor2d(scale, [ids.length, 1])) as tf.Tensor2D,
  );
  return { ids, value };
}

/** Rows with moments: decay plus the momentum moves of up to `terms` missed steps. */
function moveRows(
  state: TableState,
  ids: number[],
  since: Map<number, number>,
  target: number,
  history: StepHistory,
  constants: AdamConstants,
  terms: number,
): Settled[] {
  const { beta1, beta2, epsilon } = constants;
  const width = state.table.width;
  const termCount = (id: number) => Math.min(target - since.get(id)!, terms);
  const sorted = [...ids].sort((a, b) => termCount(a) - termCount(b)); // rows needing few terms share passes
  const parts: Settled[] = [];
  let begin = 0;
  while (begin < sorted.length) {
    let end = begin + 1;
    while (
      end < sorted.length &&
      (end + 1 - begin) * Math.min(termsPerPass, Math.max(1, termCount(sorted[end]!))) * width <= elementBudget
    )
      end++;
    const chunk = Int32Array.from(sorted.slice(begin, end)).sort();
    const starts = Array.from(chunk, (id) => since.get(id)!);
    const most = Math.max(...Array.from(chunk, termCount));
    const rows = chunk.length;
    const decay = Float32Array.from(starts, (s) => history.decay(s, target, state.decays));
    const firstDecay = Float32Array.from(starts, (s) => beta1 ** (target - s));
    const secondDecay = Float32Array.from(starts, (s) => beta2 ** (target - s));
    const next = tf.tidy(() => {
      const value = state.table.gatherRows(chunk); // [rows, width]
      const first = state.first.gatherRows(chunk);
      const second = state.second.gatherRows(chunk);
      const root = tf.sqrt(second).expandDims(1); // [rows, 1, width]
      const momentum = first.expandDims(1); // [rows, 1, width]
      let moves: tf.Tensor = tf.zeros([rows, width]);
      for (let offset = 0; offset < most; offset += termsPerPass) {
        // Each pass in its own scope: only the running sum outlives it, so the peak is one pass's.
        const previous = moves;
        moves = tf.tidy(() => {
          const span = Math.min(termsPerPass, most - offset);
          const a = new Float32Array(rows * span);
          const b = new Float32Array(rows * span).fill(1);
          starts.forEach((s, row) => {
            const limit = Math.min(target - s, terms);
            for (let t = 0; t < span && offset + t < limit; t++) {
              const k = offset + t + 1;
              const j = s + k;
              a[row * span + t] =
                (history.rate(j) / (1 - beta1 ** j)) * beta1 ** k * history.decay(j, target, state.decays);
              b[row * span + t] = beta2 ** (k / 2) / Math.sqrt(1 - beta2 ** j);
            }
          });
          const scaleA = tf.tensor3d(a, [rows, span, 1]);
          const scaleB = tf.tensor3d(b, [rows, span, 1]);
          const terms3 = tf.div(tf.mul(scaleA, momentum), tf.add(tf.mul(scaleB, root), epsilon)); // [rows, span, width]
          return tf.add(previous, tf.sum(terms3, 1));
        });
        previous.dispose();
      }
      const column = (values: Float32Array) => tf.tensor2d(values, [rows, 1]);
      return {
        value: tf.sub(tf.mul(value, column(decay)), moves) as tf.Tensor2D,
        first: tf.mul(first, column(firstDecay)) as tf.Tensor2D,
        second: tf.mul(second, column(secondDecay)) as tf.Tensor2D,
      };
    });
    parts.push({ ids: Array.from(chunk), ...next });
    begin = end;
  }
  return parts;
}
