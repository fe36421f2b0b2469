import type * as tf from "@tensorflow/tfjs";
import type { AdamW } from "./adamw.js";
import type { Gradients } from "./gradients.js";
import { optimizerStep } from "./optimizer-step.js";
import { learningRateAt, type ScheduleOptions } from "./schedule.js";

/**
 * What the skeleton reads from the loop, after the batch is prepared (a stacked encoder may
 * have grown, with a new optimizer): its step counter, optimizer, parameters and clipping limit.
 */
export interface SteppedLoop {
  step: number;
  readonly optimizer: AdamW;
  readonly options: { maxGradNorm?: number | undefined };
  parameters(): Map<string, tf.Variable>;
}

/** What one loop's step brings to the shared skeleton: its batch, made ready, and how to take its gradients. */
export interface PreparedStep<Extra extends object> {
  /** Names the loss in the error raised when it stops being finite. */
  lossName: string;
  schedule: ScheduleOptions;
  /** The step's 0-based index into `schedule` (a stage counts its own steps); the loop's step when absent. */
  scheduleStep?: number;
  /** Forward and backward passes over the prepared batch. */
  gradients(): Gradients;
  /** The loop's own fields of the step record (its epoch, objective, stage…). */
  record: Extra;
}

/** The fields every loop's step record shares; `step` is 1-based (the steps done). */
export interface StepMeasures {
  step: number;
  loss: number;
  learningRate: number;
  gradientNorm: number;
  seconds: number;
}

/**
 * One optimizer step of any loop: time it from the batch on, take the learning rate of the
 * schedule, the gradients, clip and apply AdamW (which catches up the embedding rows the
 * batch reads), advance `loop.step`, stop with one message when the loss is not finite, and
 * return the step's record: the loop's own fields and the measures every loop shares.
 * The loss is read only after the update, in the step's one host read, so a diverged
 * step has already been applied when the error is raised, as it always was.
 */
export function trainingStep<Extra extends object>(
  loop: SteppedLoop,
  prepare: () => PreparedStep<Extra>,
): Extra & StepMeasures {
  const started = performance.now();
  const prepared = prepare();
  // A step's learning rate is the schedule's at its 0-based index, as HF's schedulers give it.
  const learningRate = learningRateAt(prepared.schedule, prepared.scheduleStep ?? loop.step);
  const gradients = prepared.gradients();
  const { loss, gradientNorm } = optimizerStep(
    loop.optimizer,
    loop.parameters(),
    gradients,
    learningRate,
    loop.options.maxGradNorm,
  );
  loop.step += 1;
  if (!Number.isFinite(loss))
    throw new Error(`the ${prepared.lossName} loss became ${loss} at step ${loop.step}; lower the learning rate`);
  return {
    ...prepared.record,
    step: loop.step,
    loss,
    learningRate,
    gradientNorm,
    seconds: (performance.now() - started) / 1000,
  };
}
