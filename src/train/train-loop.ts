import type { TimeBudget } from "./time-budget.js";

/** How often the loop stops to evaluate or to checkpoint (in optimizer steps), and when it gives up. */
export interface LoopSchedule {
  evaluateEvery?: number;
  checkpointEvery?: number;
  /** A wall-clock limit that survives a resume; without one the loop runs to `totalSteps`. */
  timeBudget?: TimeBudget;
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
    if (schedule.evaluateEvery && step % schedule.evaluateEvery === 0 && step < loop.totalSteps)
      await hooks.evaluate?.(step);
    // Before the checkpoints, so that they carry this step's time.
    if (budget !== undefined) budget.spent += (performance.now() - started) / 1000;
    if (hooks.shouldStop?.()) {
      await hooks.saveCheckpoint?.("interrupted");
      return "interrupted";
    }
    if (schedule.checkpointEvery && step % schedule.checkpointEvery === 0 && step < loop.totalSteps)
      await hooks.saveCheckpoint?.("scheduled");
  }
  await hooks.saveCheckpoint?.("final");
  return "finished";
}
