import { promises as fs } from "node:fs";
import { hasTrainingCheckpoint, loadTrainingCheckpoint, saveTrainingCheckpoint } from "../../io/training-checkpoint.js";
import type { Resumable } from "../../train/resumable.js";
import { TimeBudget } from "../../train/time-budget.js";
import { trainLoop, type LoopSchedule } from "../../train/train-loop.js";
import { RunInterrupted, type RunContext } from "../context.js";
import { formatDuration } from "../progress.js";

/** A training loop a recipe step can run, checkpoint and resume. */
export interface CheckpointedLoop<State extends object, StepRecord> extends Resumable<State> {
  trainStep(): StepRecord;
}

export interface CheckpointedOptions<StepRecord> {
  schedule: Omit<LoopSchedule, "timeBudget">;
  /** The recipe's `maxMinutes`: stop early, keeping the model trained so far. */
  maxMinutes?: number | undefined;
  /** The fields of `metrics.jsonl` for one step (besides the step name and time). */
  record(record: StepRecord): Record<string, unknown>;
  /** The progress line's middle part, e.g. "stage 2 (4 layers) · mlm loss 5.1". */
  describe(record: StepRecord): string;
  evaluate?(step: number): Promise<Record<string, number>>;
  /** What else a checkpoint keeps (the best metrics so far), and where it comes back on resume. */
  extra?(): Record<string, unknown>;
  restored?(extra: Record<string, unknown>): void;
}

/**
 * Run a step's loop to its end: continue from the step's checkpoint on `--resume`, log
 * every step to `metrics.jsonl` with a progress line and ETA, checkpoint every N steps and
 * on Ctrl-C (then raise `RunInterrupted`), end early when `maxMinutes` is spent (counted
 * across resumes). The checkpoint stays until `clearCheckpoint`, which the step calls once
 * its model is saved.
 */
export async function runCheckpointed<State extends object, StepRecord extends { step: number; seconds: number }>(
  context: RunContext,
  name: string,
  loop: CheckpointedLoop<State, StepRecord>,
  options: CheckpointedOptions<StepRecord>,
): Promise<void> {
  const checkpoint = context.run.checkpoint(name);
  const timeBudget = options.maxMinutes === undefined ? undefined : new TimeBudget(options.maxMinutes * 60);
  if (context.resume && (await hasTrainingCheckpoint(checkpoint))) {
    const extra = await loadTrainingCheckpoint(checkpoint, loop);
    options.restored?.(extra);
    if (timeBudget !== undefined && typeof extra.trainingSeconds === "number") timeBudget.spent = extra.trainingSeconds;
    context.log(`${name}: resumed from step ${loop.step} of ${loop.totalSteps}`);
  } else if (context.resume && context.state.started[name] !== undefined) {
    context.log(`${name}: no checkpoint was saved before the run stopped; the step starts again from step 1`);
  }
  let recent: number[] = [];
  const outcome = await trainLoop(
    loop,
    { ...options.schedule, ...(timeBudget === undefined ? {} : { timeBudget }) },
    {
      onStep: async (record, total) => {
        await context.run.log({ step: name, trainingStep: record.step, ...options.record(record) });
        recent = [...recent.slice(-19), record.seconds];
        const seconds = recent.reduce((sum, value) => sum + value, 0) / recent.length;
        const toEnd = seconds * (total - record.step);
        const eta = Math.round(
          timeBudget === undefined ? toEnd : Math.min(toEnd, Math.max(0, timeBudget.seconds - timeBudget.spent)),
        );
        context.progress(
          `${name}: step ${record.step}/${total} · ${options.describe(record)} · ${(1 / seconds).toFixed(2)} steps/s · ETA ${formatDuration(eta)}`,
          record.step === total,
          { seconds: eta, secondsPerStep: seconds },
        );
      },
      ...(options.evaluate === undefined ? {} : { evaluate: options.evaluate }),
      saveCheckpoint: async (reason) => {
        if (reason !== "final")
          await saveTrainingCheckpoint(checkpoint, loop, {
            ...options.extra?.(),
            ...(timeBudget === undefined ? {} : { trainingSeconds: timeBudget.spent }),
          });
      },
      shouldStop: context.shouldStop,
    },
  );
  if (outcome === "interrupted") throw new RunInterrupted(name, loop.step);
  if (outcome === "out-of-time") {
    context.log(
      `${name}: stopped at step ${loop.step} of ${loop.totalSteps}: its ${options.maxMinutes} minutes (maxMinutes) are spent`,
    );
    await context.run.log({
      step: name,
      event: "time-budget-spent",
      trainingStep: loop.step,
      totalSteps: loop.totalSteps,
      minutes: options.maxMinutes,
    });
  }
}

/** Remove a finished step's checkpoint: its model is saved, and a resume must not train it again. */
export async function clearCheckpoint(context: RunContext, name: string): Promise<void> {
  await fs.rm(context.run.checkpoint(name), { recursive: true, force: true });
}
