import type { MetricDirection, SideNames } from "./tasks/descriptor.js";
import { metricDirection, tasks } from "./tasks/registry.js";
import { formatDifference, formatNumber, type MetricUnit } from "../util/format.js";
import { findLanguage } from "../text/languages.js";

/** A metric as people read it: what it is, how it is written, over how many rows, against which chance level. */
export interface MetricDescription {
  /** As reported: `<task name>/<metric>` in a run, the bare metric from `babelbed evaluate`. */
  metric: string;
  /** The task's name and type, when known. */
  task?: string;
  type?: string;
  name: string;
  description: string;
  unit?: MetricUnit;
  better?: MetricDirection;
  /** Rows (pairs) the metric was computed on, when the task reports or the caller knows it. */
  n?: number;
  chance?: number;
  /** A count describes the data: it is the n of the others, not a metric. */
  count: boolean;
}

/** What a description may use besides the metric's name: its task's type and spec (a recipe's task entry), and n. */
export interface DescriptionContext {
  type?: string;
  spec?: TaskSpecLike;
  n?: number;
}

/** The part of a recipe's task entry that tells its languages. */
export interface TaskSpecLike {
  name?: unknown;
  data?: unknown;
}

/** ISO 639-3 codes as Tatoeba names its files (`tatoeba.deu-eng.deu`), for the languages babelbed knows by name. */
const threeLetter: Record<string, string> = {
  eng: "en",
  deu: "de",
  jpn: "ja",
  fra: "fr",
  spa: "es",
  ita: "it",
  por: "pt",
  nld: "nl",
  swe: "sv",
  pol: "pl",
  ces: "cs",
  tur: "tr",
  fin: "fi",
  rus: "ru",
  ukr: "uk",
  ell: "el",
  ara: "ar",
  heb: "he",
  fas: "fa",
  pes: "fa",
  hin: "hi",
  vie: "vi",
  ind: "id",
  cmn: "zh",
  zho: "zh",
  kor: "ko",
  tha: "th",
};

/** A language's English name from a code ("de", "deu"), or undefined for anything that is not one. */
export function languageName(code: string): string | undefined {
  const key = code.trim().toLowerCase();
  if (key === "en" || key === "eng") return "English";
  const two = threeLetter[key] ?? key;
  if (!/^[a-z]{2}$/.test(two)) return undefined;
  return findLanguage(two)?.name;
}

/**
 * The languages of a task's two sides, from what its data says: the columns it reads by header
 * name (`columns: { source: en, target: de }`), its files' extensions (`test.en`, `tatoeba.deu-eng.deu`),
 * or a task named for them (`en-de`); "source" and "target" when nothing tells.
 */
export function sideNames(spec: TaskSpecLike | undefined): SideNames {
  const data = (spec?.data ?? {}) as { columns?: Record<string, unknown>; files?: Record<string, unknown> };
  const side = (which: "source" | "target"): string | undefined => {
    const column = data.columns?.[which];
    const file = data.files?.[which];
    const extension = typeof file === "string" ? /\.([A-Za-z]{2,3})$/.exec(file)?.[1] : undefined;
    return (
      (typeof column === "string" ? languageName(column) : undefined) ??
      (extension === undefined ? undefined : languageName(extension))
    );
  };
  const named = typeof spec?.name === "string" ? /^([a-z]{2,3})-([a-z]{2,3})(?![a-z])/i.exec(spec.name) : null;
  const [fromName, toName] =
    named === null ? [undefined, undefined] : [languageName(named[1]!), languageName(named[2]!)];
  const pair = fromName !== undefined && toName !== undefined;
  return {
    source: side("source") ?? (pair ? fromName : undefined) ?? "source",
    target: side("target") ?? (pair ? toName : undefined) ?? "target",
  };
}

/** One metric's description; the task's type by `context.type`, else by the task's name, else by a metric name one task alone reports. */
export function describeMetric(metric: string, context: DescriptionContext = {}): MetricDescription {
  const slash = metric.lastIndexOf("/");
  const task = slash < 0 ? undefined : metric.slice(0, slash);
  const key = metric.slice(slash + 1);
  const typed = context.type ?? (task !== undefined && tasks.some((entry) => entry.name === task) ? task : undefined);
  const descriptor =
    tasks.find((entry) => entry.name === typed) ??
    (typed === undefined
      ? tasks.filter((entry) => entry.metrics[key] !== undefined).length === 1
        ? tasks.find((entry) => entry.metrics[key] !== undefined)
        : undefined
      : undefined);
  const own = descriptor?.metrics[key];
  const sides = sideNames({ name: task, ...context.spec });
  const name =
    own === undefined ? key : typeof own.name === "function" ? own.name(sides) : (own.name ?? own.description);
  const n = context.n !== undefined && context.n > 0 ? context.n : undefined;
  return {
    metric,
    ...(task === undefined ? {} : { task }),
    ...(descriptor === undefined ? {} : { type: descriptor.name }),
    name,
    description: own?.description ?? key,
    ...(own?.unit === undefined ? {} : { unit: own.unit }),
    ...(own === undefined ? orUndefined("better", metricDirection(metric)) : { better: own.better }),
    ...(n === undefined ? {} : { n }),
    ...chanceOf(own?.chance, n),
    count: own?.unit === "count" || (own === undefined && /^(pairs|count|rows|sentences)$/.test(key)),
  };
}

/** Chance among n rows; a level that needs n is left out without it (1/NaN), one that does not (STS's 0) stays. */
function chanceOf(chance: ((n: number) => number) | undefined, n: number | undefined): { chance?: number } {
  const level = chance?.(n ?? Number.NaN);
  return level === undefined || !Number.isFinite(level) ? {} : { chance: level };
}

function orUndefined<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

/**
 * Every metric of one record (a step's before or after, or `babelbed evaluate`'s result), each
 * with its task's n: the task's own count among the metrics (`en-de/pairs`), else `rows`.
 * `tasksOf`: each task's type and spec by task name (from the recipe).
 */
export function describeMetrics(
  metrics: Readonly<Record<string, number>>,
  tasksOf: ReadonlyMap<string, { type?: string; spec?: TaskSpecLike }> = new Map(),
  rows?: number,
): MetricDescription[] {
  const first = Object.keys(metrics).map((metric) => describeMetric(metric, { ...tasksOf.get(taskOf(metric)) }));
  const counts = new Map(first.filter((entry) => entry.count).map((entry) => [entry.task, metrics[entry.metric]!]));
  return first.map((entry) =>
    describeMetric(entry.metric, { ...tasksOf.get(taskOf(entry.metric)), n: counts.get(entry.task) ?? rows }),
  );
}

function taskOf(metric: string): string {
  return metric.slice(0, Math.max(0, metric.lastIndexOf("/")));
}

/** A described metric's value as every table writes it. */
export function formatDescribed(description: MetricDescription, value: number): string {
  return formatNumber(value, description.unit);
}

export function formatDescribedChange(description: MetricDescription, change: number): string {
  return formatDifference(change, description.unit);
}

/** Whether a change is better, worse or the same, by the metric's direction; "none" for counts and settings. */
export function judgeChange(description: MetricDescription, change: number): "better" | "worse" | "same" | "none" {
  if (description.count || description.better === "none" || description.better === undefined) return "none";
  if (change === 0 || !Number.isFinite(change)) return "same";
  return change > 0 === (description.better === "higher") ? "better" : "worse";
}

/** Each step's tasks, name → type and spec, from a recipe (parsed or resolved); steps without tasks give empty maps. */
export function taskEntriesOfRecipe(recipe: unknown): Map<string, Map<string, { type: string; spec: TaskSpecLike }>> {
  const byStep = new Map<string, Map<string, { type: string; spec: TaskSpecLike }>>();
  const steps = (recipe as { steps?: unknown } | undefined)?.steps;
  if (!Array.isArray(steps)) return byStep;
  for (const step of steps as Record<string, unknown>[]) {
    if (typeof step?.name !== "string") continue;
    const entries = new Map<string, { type: string; spec: TaskSpecLike }>();
    for (const list of [step.evaluation, step.tasks]) {
      if (!Array.isArray(list)) continue;
      for (const task of list as Record<string, unknown>[]) {
        if (typeof task?.name === "string" && typeof task.task === "string")
          entries.set(task.name, { type: task.task, spec: task });
      }
    }
    byStep.set(step.name, entries);
  }
  return byStep;
}
