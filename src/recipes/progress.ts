import type { RecipeSettings } from "./schema-parts.js";

/** A step as progress sees it: its name, and its `training` (`maxSteps`, `maxMinutes`, `batchSize`) where it has one. */
type RecipeStep = RecipeSettings["steps"][number];

/** What a training loop knows about its own end, passed along with its progress line. */
export interface StepEta {
  /** Seconds to the step's end (already capped by its `maxMinutes`). */
  seconds: number;
  /** Seconds per training step of the running step, as measured lately: sizes later steps that give `maxSteps`. */
  secondsPerStep?: number;
}

/** A later step's time as far as it is known: measured (`~`), an upper bound (`≤`), or unknown. */
type LaterTime = { seconds: number; kind: "estimate" | "bound" } | undefined;

/**
 * Where a run stands within its recipe: step k of n, time since the run started, and an
 * ETA for the whole recipe that says only what it knows. The running step's ETA comes from
 * its training loop. A later step with a size in steps (`maxSteps`, a pretrain step's stages)
 * is timed at the running step's measured rate, scaled by the batch sizes (`~`, a rough
 * estimate: models differ), capped by its `maxMinutes`; one with only `maxMinutes` counts
 * with that upper bound (`≤`); any other later step has no size to go by and is named as
 * "+ N more steps". Epochs are not sized: that would need the rows of the step's data.
 */
export class RecipeProgress {
  private readonly started: number;
  private current = -1;

  constructor(
    private readonly steps: readonly RecipeStep[],
    private readonly now: () => number = () => performance.now(),
  ) {
    this.started = now();
  }

  /** The run begins step `index` (0-based); earlier ones are done or were skipped. */
  begin(index: number): void {
    this.current = index;
  }

  /** "2/3", or "" before the first step. */
  position(): string {
    return this.current < 0 ? "" : `${this.current + 1}/${this.steps.length}`;
  }

  /** For a step's first line: "recipe step 2 of 3, 1m05s elapsed, 1 more step after this one". */
  opening(): string {
    const later = this.steps.length - this.current - 1;
    return `recipe step ${this.current + 1} of ${this.steps.length}, ${this.elapsed()} elapsed${later === 0 ? "" : `, ${plural(later, "more step")} after this one`}`;
  }

  /** For a training line: "recipe 1m05s elapsed, ETA ~40s + 1 more step", from the running step's ETA and rate. */
  summary(eta: StepEta): string {
    const running = this.steps[this.current];
    const times = this.steps.slice(this.current + 1).map((step) => laterTime(step, running, eta.secondsPerStep));
    const known = eta.seconds + times.reduce<number>((sum, time) => sum + (time?.seconds ?? 0), 0);
    // A measured estimate makes the sum rough, whatever bounds it also holds.
    const mark = times.some((time) => time?.kind === "estimate")
      ? "~"
      : times.some((time) => time?.kind === "bound")
        ? "≤ "
        : "";
    const unsized = times.filter((time) => time === undefined).length;
    return `recipe ${this.elapsed()} elapsed, ETA ${mark}${formatDuration(known)}${unsized === 0 ? "" : ` + ${plural(unsized, "more step")}`}`;
  }

  private elapsed(): string {
    return formatDuration((this.now() - this.started) / 1000);
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** The training settings progress reads; absent for steps that do not train. */
function trainingOf(step: RecipeStep | undefined): { maxSteps?: number; maxMinutes?: number; batchSize?: number } {
  return step !== undefined && "training" in step ? (step.training as object) : {};
}

/** A step's size in training steps, where the recipe gives it without reading data: `maxSteps`, or a pretrain step's stages. */
function plannedSteps(step: RecipeStep): number | undefined {
  const { maxSteps } = trainingOf(step);
  if (maxSteps !== undefined) return maxSteps;
  const stages = "stages" in step ? (step.stages as { steps: number }[]) : undefined;
  return stages?.reduce((sum, stage) => sum + stage.steps, 0);
}

/** A later step's time: its planned steps at the running step's rate per batch row, capped by its `maxMinutes`. */
function laterTime(step: RecipeStep, running: RecipeStep | undefined, secondsPerStep: number | undefined): LaterTime {
  const { maxMinutes, batchSize } = trainingOf(step);
  const bound = maxMinutes === undefined ? undefined : maxMinutes * 60;
  const planned = plannedSteps(step);
  if (planned !== undefined && secondsPerStep !== undefined && Number.isFinite(secondsPerStep)) {
    const runningBatch = trainingOf(running).batchSize;
    const scale = batchSize !== undefined && runningBatch !== undefined ? batchSize / runningBatch : 1;
    const seconds = planned * secondsPerStep * scale;
    return { seconds: bound === undefined ? seconds : Math.min(seconds, bound), kind: "estimate" };
  }
  return bound === undefined ? undefined : { seconds: bound, kind: "bound" };
}

/** 75 → "1m15s", 3725 → "1h02m05s", 9 → "9s". */
export function formatDuration(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = whole % 60;
  if (hours > 0) return `${hours}h${String(minutes).padStart(2, "0")}m${String(rest).padStart(2, "0")}s`;
  return minutes > 0 ? `${minutes}m${String(rest).padStart(2, "0")}s` : `${rest}s`;
}
