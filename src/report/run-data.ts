import { promises as fs } from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { BabelbedError } from "../util/errors.js";
import { exists, readJsonFile } from "../util/files.js";

/** One logged training step: the loss of the objective it trained. */
export interface TrainingPoint {
  step: string;
  trainingStep: number;
  objective: string;
  loss: number;
  /** Milliseconds since the epoch, when the record has a readable time. */
  time?: number;
  /** Which invocation of the run (0 for the first, 1 after the first --resume, …) logged it. */
  segment: number;
  /** Encoder depth, for pre-training with progressive stacking. */
  layers?: number;
}

/** One evaluation of a step's model: before, during or after training, or an evaluate step's scores. */
export interface EvaluationPoint {
  step: string;
  phase: string;
  trainingStep: number;
  metrics: Record<string, number>;
  time?: number;
}

/** The device a run started on, as `run-start` records it; every field may be missing in older runs. */
export interface DeviceRecord {
  device?: string;
  backend?: string;
  threads?: number | null;
  versions?: Record<string, string>;
  notes?: string[];
}

/** One invocation of `babelbed run` on the directory: the first run and each --resume. */
export interface RunSegment {
  started?: number;
  ended?: number;
  firstRecord?: number;
  lastRecord?: number;
  status?: string;
  error?: string;
  seconds?: number;
  device?: DeviceRecord;
}

/** A step's metrics before and after training; `partial` marks a step the run did not finish. */
export interface StepSummary {
  step: string;
  kind: string;
  before?: Record<string, number>;
  after: Record<string, number>;
  seconds?: number;
  partial?: { trainingStep: number };
}

export type RunStatus = "finished" | "interrupted" | "failed" | "incomplete";

/** A training step that its recipe's `maxMinutes` ended before its last step. */
export interface TimeBudgetStop {
  step: string;
  trainingStep: number;
  totalSteps?: number;
  minutes?: number;
}

/** Everything a report shows about one run directory. */
export interface RunData {
  directory: string;
  name: string;
  status: RunStatus;
  error?: string;
  recipeText?: string;
  segments: RunSegment[];
  training: TrainingPoint[];
  evaluations: EvaluationPoint[];
  results: StepSummary[];
  /** Step names in the order the run met them. */
  steps: string[];
  /** metrics.jsonl lines that were not JSON objects: a line cut short by a crash. */
  skippedLines: number;
  timeBudgetStops: TimeBudgetStop[];
}

const metricsSchema = z.record(z.string(), z.number());
const stepResultSchema = z.object({
  step: z.string(),
  kind: z.string(),
  before: metricsSchema.optional(),
  after: metricsSchema,
  seconds: z.number(),
});
const summarySchema = z.object({ recipe: z.string(), results: z.array(stepResultSchema) });
const stateSchema = z.object({ completed: z.array(stepResultSchema) });

/** Read a run directory; a missing or foreign directory is a BabelbedError naming it. */
export async function loadRunData(directory: string): Promise<RunData> {
  const root = path.resolve(directory);
  const stat = await fs.stat(root).catch(() => undefined);
  if (stat === undefined) throw new BabelbedError(`${directory}: no such run directory`);
  if (!stat.isDirectory()) throw new BabelbedError(`${directory}: not a directory (expected a run directory)`);
  const file = (name: string) => path.join(root, name);
  const present = await Promise.all(
    ["metrics.jsonl", "summary.json", "state.json", "recipe.resolved.yaml"].map((name) => exists(file(name))),
  );
  if (!present.some(Boolean)) {
    throw new BabelbedError(
      `${directory}: not a run directory (it has none of metrics.jsonl, summary.json, state.json, recipe.resolved.yaml)`,
    );
  }
  const [hasMetrics, hasSummary, hasState, hasRecipe] = present;

  const log = hasMetrics ? parseMetricsLog(await fs.readFile(file("metrics.jsonl"), "utf8")) : emptyLog();
  const summary = hasSummary
    ? validated(summarySchema, await readJsonFile(file("summary.json")), file("summary.json"))
    : undefined;
  const state =
    !hasSummary && hasState
      ? validated(stateSchema, await readJsonFile(file("state.json")), file("state.json"))
      : undefined;
  const recipeText = hasRecipe ? await fs.readFile(file("recipe.resolved.yaml"), "utf8") : undefined;

  const results: StepSummary[] = summary?.results ?? state?.completed ?? [];
  results.push(...partialSteps(log.evaluations, log.training, new Set(results.map((result) => result.step))));
  const last = log.segments.at(-1);
  const status: RunStatus =
    last?.status === "finished" || last?.status === "interrupted" || last?.status === "failed"
      ? last.status
      : hasSummary
        ? "finished"
        : "incomplete";
  const steps = unique([
    ...results.map((result) => result.step),
    ...log.training.map((point) => point.step),
    ...log.evaluations.map((point) => point.step),
  ]);
  return {
    directory: root,
    name: summary?.recipe ?? log.recipe ?? recipeName(recipeText) ?? path.basename(root),
    status,
    error: status === "failed" || status === "interrupted" ? last?.error : undefined,
    recipeText,
    segments: log.segments,
    training: log.training,
    evaluations: log.evaluations,
    results,
    steps,
    skippedLines: log.skippedLines,
    timeBudgetStops: log.timeBudgetStops,
  };
}

interface MetricsLog {
  segments: RunSegment[];
  training: TrainingPoint[];
  evaluations: EvaluationPoint[];
  skippedLines: number;
  timeBudgetStops: TimeBudgetStop[];
  recipe?: string;
}

function emptyLog(): MetricsLog {
  return { segments: [], training: [], evaluations: [], skippedLines: 0, timeBudgetStops: [] };
}

/**
 * metrics.jsonl as records. A resumed run appends to the file and repeats the steps after its
 * checkpoint, so a later record of the same step, objective and training step replaces an earlier one.
 */
export function parseMetricsLog(text: string): MetricsLog {
  const log = emptyLog();
  const training = new Map<string, TrainingPoint>();
  const evaluations = new Map<string, EvaluationPoint>();
  const current = (): RunSegment => {
    if (log.segments.length === 0) log.segments.push({});
    return log.segments.at(-1)!;
  };
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const record = parseObject(line);
    if (record === undefined) {
      log.skippedLines++;
      continue;
    }
    const time = typeof record.time === "string" ? Date.parse(record.time) : Number.NaN;
    const when = Number.isFinite(time) ? time : undefined;
    if (record.event === "run-start") {
      log.segments.push({ started: when, device: deviceRecord(record.device) });
      if (typeof record.recipe === "string") log.recipe = record.recipe;
      continue;
    }
    const segment = current();
    if (when !== undefined) {
      segment.firstRecord ??= when;
      segment.lastRecord = when;
    }
    if (record.event === "run-end") {
      segment.ended = when;
      if (typeof record.status === "string") segment.status = record.status;
      if (typeof record.error === "string") segment.error = record.error;
      if (typeof record.seconds === "number") segment.seconds = record.seconds;
      continue;
    }
    if (
      record.event === "time-budget-spent" &&
      typeof record.step === "string" &&
      typeof record.trainingStep === "number"
    ) {
      const stop: TimeBudgetStop = { step: record.step, trainingStep: record.trainingStep };
      if (typeof record.totalSteps === "number") stop.totalSteps = record.totalSteps;
      if (typeof record.minutes === "number") stop.minutes = record.minutes;
      log.timeBudgetStops.push(stop);
      continue;
    }
    if (typeof record.step !== "string" || record.event !== undefined) continue;
    if (
      typeof record.loss === "number" &&
      typeof record.objective === "string" &&
      typeof record.trainingStep === "number"
    ) {
      const point: TrainingPoint = {
        step: record.step,
        trainingStep: record.trainingStep,
        objective: record.objective,
        loss: record.loss,
        time: when,
        segment: log.segments.length - 1,
      };
      if (typeof record.layers === "number") point.layers = record.layers;
      const key = JSON.stringify([point.step, point.objective, point.trainingStep]);
      training.delete(key);
      training.set(key, point);
    } else if (typeof record.phase === "string") {
      const metrics: Record<string, number> = {};
      for (const [name, value] of Object.entries(record)) {
        if (
          !["time", "step", "phase", "trainingStep"].includes(name) &&
          typeof value === "number" &&
          Number.isFinite(value)
        )
          metrics[name] = value;
      }
      // An evaluate step's record has no training step.
      const trainingStep = typeof record.trainingStep === "number" ? record.trainingStep : 0;
      const key = JSON.stringify([record.step, record.phase, trainingStep]);
      evaluations.delete(key);
      evaluations.set(key, { step: record.step, phase: record.phase, trainingStep, metrics, time: when });
    }
  }
  log.training = [...training.values()];
  log.evaluations = [...evaluations.values()];
  return log;
}

function parseObject(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function deviceRecord(value: unknown): DeviceRecord | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const strings = (entry: unknown) =>
    Array.isArray(entry) ? entry.filter((item): item is string => typeof item === "string") : undefined;
  const versions =
    typeof record.versions === "object" && record.versions !== null
      ? Object.fromEntries(
          Object.entries(record.versions).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
        )
      : undefined;
  return {
    device: typeof record.device === "string" ? record.device : undefined,
    backend: typeof record.backend === "string" ? record.backend : undefined,
    threads: typeof record.threads === "number" || record.threads === null ? record.threads : undefined,
    versions,
    notes: strings(record.notes),
  };
}

/** Steps the run began but did not finish: their first evaluation and the latest one since. */
function partialSteps(evaluations: EvaluationPoint[], training: TrainingPoint[], finished: Set<string>): StepSummary[] {
  const started = unique([...training.map((point) => point.step), ...evaluations.map((point) => point.step)]).filter(
    (step) => !finished.has(step),
  );
  return started.map((step) => {
    const own = evaluations.filter((point) => point.step === step);
    const before = own.find((point) => point.phase === "before");
    const latest = own
      .filter((point) => point !== before)
      .sort((left, right) => left.trainingStep - right.trainingStep)
      .at(-1);
    const trained = training.filter((point) => point.step === step).map((point) => point.trainingStep);
    const times = [...own, ...training.filter((point) => point.step === step)].flatMap((point) =>
      point.time === undefined ? [] : [point.time],
    );
    return {
      step,
      kind: trained.length > 0 ? "training" : "evaluate",
      before: before?.metrics,
      after: latest?.metrics ?? {},
      seconds: times.length > 1 ? (Math.max(...times) - Math.min(...times)) / 1000 : undefined,
      partial: { trainingStep: Math.max(latest?.trainingStep ?? 0, ...trained) },
    };
  });
}

function validated<T>(schema: z.ZodType<T>, value: unknown, file: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new BabelbedError(`${file}: field ${issue.path.join(".") || "(top level)"}: ${issue.message}`);
  }
  return result.data;
}

function recipeName(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = parseYaml(text);
    const name = (value as { name?: unknown } | null)?.name;
    return typeof name === "string" ? name : undefined;
  } catch {
    return undefined;
  }
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
