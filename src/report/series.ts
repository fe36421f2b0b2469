import type { EvaluationPoint, RunData, TrainingPoint } from "./run-data.js";

/** A point of a chart: x is the training step. */
export type Point = [number, number];

/** A chart draws at most this many points per series: more only add bytes, not detail, at 1000 pixels wide. */
export const maximumPoints = 1500;

/**
 * A centred running mean. Training loss jumps from batch to batch; a window of about 1/25 of the
 * run (at least 5 points) shows the trend without shifting it to the right as a trailing mean would.
 */
export function runningMean(points: Point[], window = Math.max(5, Math.round(points.length / 25))): Point[] {
  const half = Math.floor(window / 2);
  const prefix = [0];
  for (const [, y] of points) prefix.push(prefix.at(-1)! + y);
  return points.map(([x], index) => {
    const start = Math.max(0, index - half);
    const end = Math.min(points.length, index + half + 1);
    return [x, (prefix[end]! - prefix[start]!) / (end - start)];
  });
}

/** Every k-th point, keeping the last, so that a long run's chart stays a few hundred kilobytes. */
export function thin(points: Point[], limit = maximumPoints): Point[] {
  if (points.length <= limit) return points;
  const stride = points.length / limit;
  const kept: Point[] = [];
  for (let index = 0; index < limit; index++) kept.push(points[Math.floor(index * stride)]!);
  if (kept.at(-1) !== points.at(-1)) kept.push(points.at(-1)!);
  return kept;
}

/** Loss points of one training step, by objective, in training-step order. */
export function lossByObjective(training: TrainingPoint[], step: string): Map<string, Point[]> {
  const series = new Map<string, Point[]>();
  for (const point of training) {
    if (point.step !== step) continue;
    if (!series.has(point.objective)) series.set(point.objective, []);
    series.get(point.objective)!.push([point.trainingStep, point.loss]);
  }
  for (const points of series.values()) points.sort((left, right) => left[0] - right[0]);
  return series;
}

/** Training steps where progressive stacking changed the encoder's depth. */
export function depthChanges(training: TrainingPoint[], step: string): { trainingStep: number; layers: number }[] {
  const points = training
    .filter((point) => point.step === step && point.layers !== undefined)
    .sort((left, right) => left.trainingStep - right.trainingStep);
  const changes: { trainingStep: number; layers: number }[] = [];
  for (const point of points) {
    if (changes.at(-1)?.layers !== point.layers)
      changes.push({ trainingStep: point.trainingStep, layers: point.layers! });
  }
  return changes;
}

/** The task part of a metric name (`en-de/accuracy` → `en-de`): metrics of one task share a scale. */
export function taskOf(metric: string): string {
  const slash = metric.lastIndexOf("/");
  return slash < 0 ? metric : metric.slice(0, slash);
}

/** Evaluation metrics of one step over training steps, grouped by task, each metric a series. */
export function metricsByTask(evaluations: EvaluationPoint[], step: string): Map<string, Map<string, Point[]>> {
  const tasks = new Map<string, Map<string, Point[]>>();
  const own = evaluations
    .filter((point) => point.step === step)
    .sort((left, right) => left.trainingStep - right.trainingStep);
  for (const point of own) {
    for (const [metric, value] of Object.entries(point.metrics)) {
      const task = taskOf(metric);
      if (!tasks.has(task)) tasks.set(task, new Map());
      const series = tasks.get(task)!;
      if (!series.has(metric)) series.set(metric, []);
      series.get(metric)!.push([point.trainingStep, value]);
    }
  }
  return tasks;
}

/** A series whose value never moves tells nothing over time (a count of pairs); it is listed, not drawn. */
export function isConstant(points: Point[]): boolean {
  return points.every(([, y]) => y === points[0]![1]);
}

export function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Seconds per training step of one step: the median gap between consecutive steps logged by the
 * same invocation. The median ignores the pauses for evaluation and checkpoints.
 */
export function secondsPerTrainingStep(training: TrainingPoint[], step: string): number | undefined {
  const points = training
    .filter((point) => point.step === step && point.time !== undefined)
    .sort((left, right) => left.trainingStep - right.trainingStep);
  const gaps: number[] = [];
  for (let index = 1; index < points.length; index++) {
    const [previous, point] = [points[index - 1]!, points[index]!];
    if (point.segment === previous.segment && point.trainingStep === previous.trainingStep + 1)
      gaps.push((point.time! - previous.time!) / 1000);
  }
  return median(gaps);
}

export function trainingSteps(training: TrainingPoint[], step: string): number {
  return new Set(training.filter((point) => point.step === step).map((point) => point.trainingStep)).size;
}

/** Wall time of all invocations together; one's own `seconds` when it logged them, else its first to last record. */
export function wallSeconds(run: RunData): number | undefined {
  let total = 0;
  let known = false;
  for (const segment of run.segments) {
    const start = segment.started ?? segment.firstRecord;
    const end = segment.ended ?? segment.lastRecord;
    const seconds = segment.seconds ?? (start !== undefined && end !== undefined ? (end - start) / 1000 : undefined);
    if (seconds !== undefined) {
      total += seconds;
      known = true;
    }
  }
  return known ? total : undefined;
}
