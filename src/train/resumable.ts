import type * as tf from "@tensorflow/tfjs";
import type { EmbeddingTable } from "../model/embedding.js";
import type { AdamW } from "./adamw.js";

/**
 * A training loop whose whole state can be saved between two steps and restored into a
 * fresh loop built the same way: its variables by stable names, its row-blocked tables,
 * its optimizer's moments, and the rest (step counter, generator states) as JSON.
 *
 * Batch orders are pure functions of the seed and the step, so the JSON stays small and a
 * resumed run takes exactly the batches an uninterrupted one would.
 */
export interface Resumable<State extends object> {
  step: number;
  readonly totalSteps: number;
  readonly optimizer: AdamW;
  parameters(): Map<string, tf.Variable>;
  sparseTables(): EmbeddingTable[];
  state(): State;
  /**
   * Called before the tensors are loaded, so a loop whose shape depends on the step (a
   * stacked encoder grows by stages) can rebuild itself to the shape the checkpoint holds.
   */
  restore(state: State): void;
}

/** How often the loop stops to evaluate or to checkpoint (in optimizer steps), and when it gives up. */
export interface LoopSchedule {
  evaluateEvery?: number;
  checkpointEvery?: number;
  /** A wall-clock limit that survives a resume; without one the loop runs to `totalSteps`. */
  timeBudget?: TimeBudget;
}

/**
 * Wall-clock seconds a loop may spend, steps and evaluations included, as PyTorch
 * Lightning's `max_time`: the loop ends early once they are spent. `spent` is carried in
 * checkpoints so that a resumed run counts the time its first part took.
 */
export class TimeBudget {
  constructor(
    readonly seconds: number,
    public spent = 0,
  ) {}

  get exhausted(): boolean {
    return this.spent >= this.seconds;
  }
}

/** Where a loop reaches the layers above it: logging, evaluation, checkpoints, interrupts. */
export interface LoopHooks<StepRecord> {
  onStep?(record: StepRecord, totalSteps: number): void | Promise<void>;
  evaluate?(step: number): Promise<Record<string, number>>;
  saveCheckpoint?(reason: "scheduled" | "interrupted" | "final"): Promise<void>;
  /** Polled after every step; true makes the loop checkpoint and stop (Ctrl-C). */
  shouldStop?(): boolean;
}

/** How a loop ended: all its steps, stopped by Ctrl-C, or its time budget spent before the last step. */
export type LoopOutcome = "finished" | "interrupted" | "out-of-time";

/**
 * Run `trainStep` until `totalSteps`, from wherever `step` stands (0, or a restored
 * checkpoint): evaluate and checkpoint on schedule, and checkpoint before stopping when asked.
 * The learning-rate schedule still spans `totalSteps` when the time budget cuts the run short.
 */
export async function trainLoop<StepRecord>(
  loop: { step: number; readonly totalSteps: number; trainStep(): StepRecord },
  schedule: LoopSchedule,
  hooks: LoopHooks<StepRecord> = {},
): Promise<LoopOutcome> {
  const budget = schedule.timeBudget;
  while (loop.step < loop.totalSteps) {
    if (budget?.exhausted) {
      await hooks.saveCheckpoint?.("final");
      return "out-of-time";
    }
    const started = performance.now();
    const record = loop.trainStep();
    await hooks.onStep?.(record, loop.totalSteps);
    const step = loop.step;
    if (schedule.evaluateEvery && step % schedule.evaluateEvery === 0 && step < loop.totalSteps) await hooks.evaluate?.(step);
    // Before the checkpoints, so that they carry this step's time.
    if (budget !== undefined) budget.spent += (performance.now() - started) / 1000;
    if (hooks.shouldStop?.()) {
      await hooks.saveCheckpoint?.("interrupted");
      return "interrupted";
    }
    if (schedule.checkpointEvery && step % schedule.checkpointEvery === 0 && step < loop.totalSteps) await hooks.saveCheckpoint?.("scheduled");
  }
  await hooks.saveCheckpoint?.("final");
  return "finished";
}

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
