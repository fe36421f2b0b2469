import { parse } from "yaml";
import { taskDescriptor } from "../evaluate/tasks/registry.js";
import {
  describeMetrics,
  formatDescribed,
  formatDescribedChange,
  judgeChange,
  type MetricDescription,
  type TaskSpecLike,
  taskEntriesOfRecipe,
} from "../evaluate/metric-descriptions.js";
import { type Cell, escapeHtml, table, text } from "./html.js";
import type { StepSummary } from "./run-data.js";

export type StepTasks = ReadonlyMap<string, ReadonlyMap<string, { type?: string; spec?: TaskSpecLike }>>;

/** Each step's tasks (type and recipe entry) from a run's resolved recipe; none when it is missing or unreadable. */
export function stepTasksOfRecipe(recipeText: string | undefined): StepTasks {
  try {
    return taskEntriesOfRecipe(recipeText === undefined ? undefined : parse(recipeText));
  } catch {
    return new Map();
  }
}

/** A step's metrics described, each with its task's n (its count among the metrics, before or after). */
function describeStep(result: StepSummary, tasks: StepTasks): MetricDescription[] {
  return describeMetrics({ ...result.before, ...result.after }, tasks.get(result.step) ?? new Map());
}

const marks = { better: "▲ ", worse: "▼ ", same: "= ", none: "" } as const;

/**
 * Every metric of every step by its name for people, with n and chance, before and after training,
 * the change marked and coloured by whether it helped. Counts are the n column, not rows. An
 * unfinished step shows its before-metrics even when it logged no evaluation since.
 */
export function describedMetricsTable(results: StepSummary[], tasks: StepTasks): string {
  const rows: Cell[][] = [];
  for (const result of results) {
    const label =
      result.partial === undefined
        ? result.step
        : `${result.step} (unfinished at training step ${result.partial.trainingStep})`;
    const described = describeStep(result, tasks).filter((entry) => !entry.count);
    for (const [index, description] of described.entries()) {
      const before = result.before?.[description.metric];
      const after = result.after[description.metric];
      const change = before === undefined || after === undefined ? undefined : after - before;
      const judged = change === undefined ? "none" : judgeChange(description, change);
      const name = `${description.task === undefined ? "" : `${description.task}: `}${description.name}`;
      rows.push([
        // The step named once, on the first row of its group.
        text(index === 0 ? label : "", index === 0 ? "step first" : "step"),
        { html: `${escapeHtml(name)} <span class="key">${escapeHtml(description.metric)}</span>` },
        text(description.n === undefined ? "" : String(description.n)),
        text(description.chance === undefined ? "" : formatDescribed(description, description.chance)),
        before === undefined ? text("", "missing") : text(formatDescribed(description, before)),
        after === undefined
          ? text(result.partial === undefined ? "" : "not reached", "missing")
          : text(formatDescribed(description, after)),
        change === undefined || judged === "none"
          ? text("", "missing")
          : text(`${marks[judged]}${formatDescribedChange(description, change)}`, judged),
      ]);
    }
    if (described.length === 0)
      rows.push([
        text(label, "step first"),
        text(`(${result.kind}: no metrics)`, "missing"),
        text(""),
        text(""),
        text(""),
        text(""),
        text(""),
      ]);
  }
  if (rows.length === 0) return '<p class="note">No step finished or was evaluated.</p>';
  const notes = [
    "n: the pairs each metric was computed on; chance: what guessing scores. Changes of percentages are in percentage points (pts).",
    ...(results.some((result) => result.partial !== undefined)
      ? [
          'An unfinished step shows the latest evaluation it logged as "after"; "not reached" when it stopped before its next evaluation.',
        ]
      : []),
  ];
  return (
    table(["step", "metric", "n", "chance", "before", "after", "change"], rows, 2) +
    notes.map((note) => `<p class="note">${escapeHtml(note)}</p>`).join("")
  );
}

/**
 * The report's first line in plain words: the latest step evaluated before and after training,
 * its deciding metric (its first task's primary one; else the first score it logged) from before
 * to after, with n and chance: "In step student, en-de's top-1 retrieval accuracy, English → German
 * rose from 6.0% to 30.0% of 150 pairs; chance is 0.67%." Undefined when no step has metrics.
 */
export function runHeadline(results: StepSummary[], tasks: StepTasks): string | undefined {
  for (const result of [...results].reverse()) {
    if (result.before === undefined) continue;
    const described = describeStep(result, tasks).filter((entry) => !entry.count && entry.better !== "none");
    const both = described.filter(
      (entry) => result.before![entry.metric] !== undefined && result.after[entry.metric] !== undefined,
    );
    const chosen = decidingMetric(both, tasks.get(result.step));
    if (chosen === undefined) continue;
    const [before, after] = [result.before[chosen.metric]!, result.after[chosen.metric]!];
    const moved =
      after === before
        ? `stayed at ${formatDescribed(chosen, after)}`
        : `${after > before ? "rose" : "fell"} from ${formatDescribed(chosen, before)} to ${formatDescribed(chosen, after)}`;
    const unfinished =
      result.partial === undefined ? "" : ` by training step ${result.partial.trainingStep} (unfinished)`;
    return `In step ${result.step}, ${subject(chosen)} ${moved}${of(chosen)}${unfinished}${chanceClause(chosen)}.`;
  }
  // No step evaluated both before and after training (evaluate steps only): the last score logged.
  for (const result of [...results].reverse()) {
    const chosen = decidingMetric(
      describeStep(result, tasks).filter(
        (entry) => !entry.count && entry.better !== "none" && result.after[entry.metric] !== undefined,
      ),
      tasks.get(result.step),
    );
    if (chosen !== undefined)
      return `In step ${result.step}, ${subject(chosen)} was ${formatDescribed(chosen, result.after[chosen.metric]!)}${of(chosen)}${chanceClause(chosen)}.`;
  }
  return undefined;
}

function decidingMetric(
  candidates: MetricDescription[],
  stepTasks: ReadonlyMap<string, { type?: string }> | undefined,
): MetricDescription | undefined {
  const first = stepTasks === undefined ? undefined : [...stepTasks][0];
  if (first !== undefined) {
    const primary = first[1].type === undefined ? undefined : safePrimary(first[1].type);
    const own = candidates.filter((entry) => entry.task === first[0]);
    const chosen = own.find((entry) => entry.metric === `${first[0]}/${primary}`) ?? own[0];
    if (chosen !== undefined) return chosen;
  }
  return candidates[0];
}

function safePrimary(type: string): string | undefined {
  try {
    return taskDescriptor(type).primary;
  } catch {
    return undefined;
  }
}

const subject = (entry: MetricDescription) => `${entry.task === undefined ? "" : `${entry.task}'s `}${entry.name}`;
const of = (entry: MetricDescription) =>
  entry.n === undefined ? "" : ` ${entry.unit === "%" ? "of" : "on"} ${entry.n} pairs`;
const chanceClause = (entry: MetricDescription) =>
  entry.chance === undefined ? "" : `; chance is ${formatDescribed(entry, entry.chance)}`;
