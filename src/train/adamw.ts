import * as tf from "@tensorflow/tfjs";
import { EmbeddingTable } from "../model/embedding.js";
import type { Gradients } from "./gradients.js";
import { catchUpRows, momentumTerms, StepHistory, type TableState } from "./row-catch-up.js";

export interface AdamWOptions {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay?: number;
  /** Parameters spared from weight decay; by default biases and LayerNorm, as in BERT's recipe. */
  excludeFromDecay?: (name: string) => boolean;
  /**
   * How row-sparse tables (word embeddings) are stepped. "exact" (default): as torch's dense
   * AdamW, every row moves and decays every step; the rows a step did not touch are brought up
   * to date when next read (see `row-catch-up.ts`). "lazy": TensorFlow's LazyAdam, only the rows
   * a step touched change; cheaper per step, but rows stop short of their momentum and skip decay.
   */
  embeddings?: EmbeddingUpdate;
}

export type EmbeddingUpdate = "exact" | "lazy";

export const noDecayOnBiasAndLayerNorm = (name: string): boolean =>
  name.endsWith(".bias") || name.includes("LayerNorm");

interface Moments {
  first: tf.Variable;
  second: tf.Variable;
}

/**
 * AdamW (Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization") with
 * torch's update order: decay `p ← p(1 − lr·wd)`, then the bias-corrected Adam step.
 *
 * Row-sparse tables keep full-size moments but no step writes a whole-table tensor: a step
 * updates the rows it touched, and (exact mode) the other rows owe it a zero-gradient step,
 * settled when the row is next read — by a later step, an evaluation, a checkpoint or an
 * export — so every reader sees torch's dense AdamW values. Lazy mode never settles them.
 */
export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  private readonly excludeFromDecay: (name: string) => boolean;
  private readonly moments = new Map<string, Moments>();
  private readonly rowMoments = new Map<string, TableState>();
  private readonly history: StepHistory;
  readonly embeddings: EmbeddingUpdate;
  step = 0;

  constructor(private readonly options: AdamWOptions) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-6;
    this.weightDecay = options.weightDecay ?? 0.01;
    this.excludeFromDecay = options.excludeFromDecay ?? noDecayOnBiasAndLayerNorm;
    this.embeddings = options.embeddings ?? "exact";
    this.history = new StepHistory(0, this.weightDecay);
  }

  /** Apply one update. `parameters` maps the names used in `gradients.dense` to variables. */
  apply(parameters: Map<string, tf.Variable>, gradients: Gradients, learningRate = this.options.learningRate): void {
    // Rows about to be stepped must first take the steps they missed (a no-op when the
    // step's own lookups already settled them).
    for (const rows of gradients.sparse) this.rowMoments.get(rows.table.name)?.table.catchUp?.(rows.ids);
    this.step += 1;
    this.history.record(this.step, learningRate);
    const correction1 = 1 - this.beta1 ** this.step;
    const correction2 = 1 - this.beta2 ** this.step;
    const update = (name: string, value: tf.Tensor, gradient: tf.Tensor, first: tf.Tensor, second: tf.Tensor) => {
      const decay = this.excludeFromDecay(name) ? 0 : this.weightDecay;
      const decayed = decay === 0 ? value : tf.mul(value, 1 - learningRate * decay);
      const nextFirst = tf.add(tf.mul(first, this.beta1), tf.mul(gradient, 1 - this.beta1));
      const nextSecond = tf.add(tf.mul(second, this.beta2), tf.mul(tf.square(gradient), 1 - this.beta2));
      const denominator = tf.add(tf.div(tf.sqrt(nextSecond), Math.sqrt(correction2)), this.epsilon);
      const nextValue = tf.sub(decayed, tf.mul(tf.div(nextFirst, denominator), learningRate / correction1));
      return { nextValue, nextFirst, nextSecond };
    };

    for (const [name, gradient] of gradients.dense) {
      const variable = parameters.get(name);
      if (variable === undefined) throw new Error(`AdamW: gradient for unknown parameter ${name}`);
      const moments = this.momentsFor(name, variable);
      tf.tidy(() => {
        const next = update(name, variable, gradient, moments.first, moments.second);
        variable.assign(next.nextValue);
        moments.first.assign(next.nextFirst);
        moments.second.assign(next.nextSecond);
      });
    }

    for (const rows of gradients.sparse) {
      const moments = this.rowMomentsFor(rows.table);
      // These rows take this step now (they are current up to the last one): the reads below must not catch them up.
      for (const id of rows.ids) {
        moments.lastStep[id] = this.step;
        moments.moving[id] = 1;
      }
      const next = tf.tidy(() => {
        const value = rows.table.gatherRows(rows.ids);
        const first = moments.first.gatherRows(rows.ids);
        const second = moments.second.gatherRows(rows.ids);
        return update(rows.table.name, value, rows.gradient, first, second);
      });
      rows.table.scatterRows(rows.ids, next.nextValue as tf.Tensor2D);
      moments.first.scatterRows(rows.ids, next.nextFirst as tf.Tensor2D);
      moments.second.scatterRows(rows.ids, next.nextSecond as tf.Tensor2D);
      tf.dispose([next.nextValue, next.nextFirst, next.nextSecond]);
    }
  }

  /** Bring every deferred row up to the current step (exact mode; readers do this themselves). */
  catchUp(): void {
    for (const state of this.rowMoments.values()) state.table.catchUp?.();
  }

  private momentsFor(name: string, variable: tf.Variable): Moments {
    let moments = this.moments.get(name);
    if (moments === undefined) {
      moments = { first: variableFrom(tf.zerosLike(variable)), second: variableFrom(tf.zerosLike(variable)) };
      this.moments.set(name, moments);
    }
    return moments;
  }

  private rowMomentsFor(table: EmbeddingTable): TableState {
    let moments = this.rowMoments.get(table.name);
    if (moments === undefined) {
      // A table first stepped now is current up to the previous step; all its rows take this one.
      moments = this.tableState(table, EmbeddingTable.zerosLike(table), EmbeddingTable.zerosLike(table), this.step - 1);
      this.rowMoments.set(table.name, moments);
    }
    return moments;
  }

  private tableState(table: EmbeddingTable, first: EmbeddingTable, second: EmbeddingTable, step: number): TableState {
    const state: TableState = {
      table,
      first,
      second,
      lastStep: new Int32Array(table.rows).fill(step),
      moving: new Uint8Array(table.rows),
      decays: !this.excludeFromDecay(table.name) && this.weightDecay > 0,
    };
    if (this.embeddings === "exact") {
      let cached = { rate: Number.NaN, terms: 0 };
      const terms = () => {
        const rate = Math.max(this.options.learningRate, this.history.highestRate);
        if (rate !== cached.rate) cached = { rate, terms: momentumTerms(this, rate) };
        return cached.terms;
      };
      table.catchUp = (ids) => {
        if (table.blocks[0]?.isDisposed) return; // the model went first; nothing reads these rows again
        catchUpRows(state, ids, this.step, this.history, this, terms());
      };
    }
    return state;
  }

  /** Optimizer state as named tensors (copies; the caller disposes them), for checkpoints. */
  stateTensors(): Map<string, tf.Tensor> {
    const state = new Map<string, tf.Tensor>();
    state.set("step", tf.scalar(this.step, "int32"));
    // The rows exact mode has not yet brought up to date, and the rates of the steps they owe.
    const { origin, bits } = this.history.bits();
    state.set("learning_rates.origin", tf.scalar(origin, "int32"));
    state.set("learning_rates.float64_bits", tf.tensor1d(bits, "int32"));
    for (const [name, moments] of this.moments) {
      state.set(`${name}.exp_avg`, moments.first.clone());
      state.set(`${name}.exp_avg_sq`, moments.second.clone());
    }
    for (const [name, moments] of this.rowMoments) {
      state.set(`${name}.exp_avg`, moments.first.toTensor());
      state.set(`${name}.exp_avg_sq`, moments.second.toTensor());
      // A copy: the CPU backend would otherwise keep the live array, which later catch-ups change.
      state.set(`${name}.last_step`, tf.tensor1d(Int32Array.from(moments.lastStep), "int32"));
    }
    return state;
  }

  /** Restore state written by `stateTensors`; `tables` says which names are row-sparse. */
  loadState(state: Map<string, tf.Tensor>, tables: EmbeddingTable[]): void {
    this.dispose();
    this.step = (state.get("step")?.dataSync()[0] as number | undefined) ?? 0;
    // Checkpoints from before exact mode carry no rates: their rows count as current.
    const bits = state.get("learning_rates.float64_bits");
    if (bits === undefined) this.history.restart(this.step);
    else this.history.replay(state.get("learning_rates.origin")!.dataSync()[0]!, Int32Array.from(bits.dataSync()));
    const byName = new Map(tables.map((table) => [table.name, table]));
    for (const [key, tensor] of state) {
      const match = /^(.*)\.exp_avg$/.exec(key);
      if (match === null) continue;
      const name = match[1]!;
      const second = state.get(`${name}.exp_avg_sq`);
      if (second === undefined) throw new Error(`optimizer state: ${name}.exp_avg_sq is missing`);
      const table = byName.get(name);
      if (table) {
        const make = (values: tf.Tensor) => EmbeddingTable.fromTensor(name, values as tf.Tensor2D, table.blockRows);
        const rows = this.tableState(table, make(tensor), make(second), this.step);
        const lastStep = state.get(`${name}.last_step`);
        if (lastStep !== undefined) rows.lastStep.set(lastStep.dataSync());
        // Rows with zero moments take the decay-only path, whose arithmetic equals the general one for them.
        const moving = tf.tidy(() =>
          tf.logicalOr(tf.any(tf.notEqual(second, 0), 1), tf.any(tf.notEqual(tensor, 0), 1)).dataSync(),
        );
        rows.moving.set(moving);
        this.rowMoments.set(name, rows);
      } else {
        this.moments.set(name, { first: variableFrom(tensor.clone()), second: variableFrom(second.clone()) });
      }
    }
  }

  /** Release the moments; deferred rows are settled first, so the weights stay torch's. */
  dispose(): void {
    this.catchUp();
    for (const moments of this.moments.values()) tf.dispose([moments.first, moments.second]);
    for (const moments of this.rowMoments.values()) {
      if (moments.table.catchUp !== undefined) moments.table.catchUp = undefined;
      moments.first.dispose();
      moments.second.dispose();
    }
    this.moments.clear();
    this.rowMoments.clear();
  }
}

/** A non-trainable variable that takes over `tensor` (the temporary handle is released). */
function variableFrom(tensor: tf.Tensor): tf.Variable {
  const variable = tf.variable(tensor, false);
  tensor.dispose();
  return variable;
}
