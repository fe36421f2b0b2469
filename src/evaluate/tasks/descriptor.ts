import type { z } from "zod";
import type { DataSource } from "../../data/source.js";
import type { EncodeOptions, SentenceEncoder } from "../../model/sentence-encoder.js";
import type { Metrics } from "../encoder-tasks.js";
import type { MetricUnit } from "../../util/format.js";

/** Which way a metric improves; `none` for facts about the data or a setting found on it (a count, a threshold). */
export type MetricDirection = "higher" | "lower" | "none";

/** The languages of a task's two sides, by name ("English"), or "source" and "target" when the data does not say. */
export interface SideNames {
  source: string;
  target: string;
}

export interface MetricDescriptor {
  /** One line for people: what the number is. */
  description: string;
  better: MetricDirection;
  /** Its short name in tables and headlines, for the data at hand; the description when absent. */
  name?: string | ((sides: SideNames) => string);
  /** How it is written (src/util/format.ts); a `count` is the n of its task's other metrics, not a metric. */
  unit?: MetricUnit;
  /** What guessing scores among `n` rows; absent when no level means chance. */
  chance?(n: number): number;
}

/** How a task gets its rows: a recipe reads its sources (relative to the recipe, cached per run), the CLI its flags' files. */
export interface TaskReader<Row> {
  /** All rows of one data source of the task's kind, scored pairs' scores mapped onto [0, 1]. */
  read(source: DataSource, where: string): Promise<Row[]>;
  log(line: string): void;
  /** A fact about the data for the run's log (`metrics.jsonl`); nothing outside a recipe run. */
  record(event: Record<string, unknown>): Promise<void>;
}

/** What a task may need besides the encoder and its rows. */
export interface TaskRunContext {
  encodeOptions: EncodeOptions;
  /** A teacher's vectors of `sentences` (mse); a recipe resolves step names and caches them on disk. */
  teacherVectors(teacher: string, sentences: string[]): Promise<Float32Array[]>;
}

/** The fields every task spec has; a task's own fields (`k`, `teacher`, …) come from its `fields`. */
export interface TaskSpecBase {
  task: string;
  name: string;
  data: DataSource;
}

/**
 * One evaluation task (`task:` in a recipe, `--task` of `babelbed evaluate`): the data it reads,
 * how it runs on an encoder, and its metrics, each with which way is better, and the primary one
 * (which keeps the best model during training).
 */
export interface TaskDescriptor<
  Row = unknown,
  Spec extends TaskSpecBase = TaskSpecBase,
  Options extends z.ZodRawShape = z.ZodRawShape,
> {
  readonly name: string;
  readonly description: string;
  /** The kind of its `data` (and of any further sources it reads). */
  readonly dataKind: "scored-pairs" | "parallel";
  /** Its spec fields besides `task` and `name`, `data` among them, in the order a resolved recipe lists them. */
  readonly fields: Options;
  /** The spec fields `load` reads (data sources): rows are read once per run for each distinct value of them. */
  readonly sources: readonly string[];
  readonly metrics: Readonly<Record<string, MetricDescriptor>>;
  readonly primary: string;
  load(spec: Spec, reader: TaskReader<Row>, where: string): Promise<Row[]>;
  run(encoder: SentenceEncoder, rows: Row[], spec: Spec, context: TaskRunContext): Promise<Metrics>;
  /** Metrics about the rows themselves (how many were scored), added in a recipe run. */
  dataMetrics?(rows: Row[]): Metrics;
}

/**
 * A task's n: the pairs it scored, recorded beside its metrics in a run (`en-de/pairs`) so that
 * every figure says what it was computed on. A count, never a score.
 */
export function pairCount(description: string): MetricDescriptor {
  return { description: `${description}: a count, not a score`, better: "none", name: "test pairs", unit: "count" };
}

/** The `pairs` count of a task whose rows are its pairs. */
export function countPairs(rows: readonly unknown[]): Metrics {
  return { pairs: rows.length };
}

/** Declares a descriptor with its row and spec types checked, then erases them for the registry. */
export function defineTask<Row, Spec extends TaskSpecBase, Options extends z.ZodRawShape>(
  descriptor: TaskDescriptor<Row, Spec, Options>,
): TaskDescriptor {
  return descriptor as unknown as TaskDescriptor;
}
