import type { RecipeSettings } from "./schema-parts.js";

/** A step as progress sees it: its name, and a `training.maxMinutes` where it has one. */
type RecipeStep = RecipeSettings["steps"][number];

/** What a training loop knows about its own end, passed along with its progress line. */
export interface StepEta {
  /** Seconds to the step's end (already capped by its `maxMinutes`). */
  seconds: number;
}

/**
 * Where a run stands within its recipe: step k of n, time since the run started, and an
 * ETA for the whole recipe that says only what it knows. The running step's ETA comes from
 * its training loop; a later step counts with its `maxMinutes` (an upper bound, shown "≤");
 * any other later step has no size to go by and is named as "+ N more steps".
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

  /** For a training line: "recipe 1m05s elapsed, ETA 40s + 1 more step", from the running step's ETA. */
  summary(eta: StepEta): string {
    const bounds = this.steps.slice(this.current + 1).map(timeBound);
    const known = eta.seconds + bounds.reduce<number>((sum, bound) => sum + (bound ?? 0), 0);
    const bounded = bounds.some((bound) => bound !== undefined) ? "≤ " : "";
    const unsized = bounds.filter((bound) => bound === undefined).length;
    return `recipe ${this.elapsed()} elapsed, ETA ${bounded}${formatDuration(known)}${unsized === 0 ? "" : ` + ${plural(unsized, "more step")}`}`;
  }

  private elapsed(): string {
    return formatDuration((this.now() - this.started) / 1000);
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** A later step's most time: its `maxMinutes`, when it has one. */
function timeBound(step: RecipeStep): number | undefined {
  const training = "training" in step ? (step.training as { maxMinutes?: number }) : undefined;
  return training?.maxMinutes === undefined ? undefined : training.maxMinutes * 60;
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
