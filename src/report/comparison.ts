import * as path from "node:path";
import { describeMetric, formatDescribed, formatDescribedChange } from "../evaluate/metric-descriptions.js";
import { writeFileAtomic } from "../util/files.js";
import { stepTasksOfRecipe } from "./described-metrics.js";
import { chartSections } from "./figures.js";
import {
  changeClass,
  escapeHtml,
  facts,
  formatSeconds,
  formatTime,
  page,
  section,
  statusBadge,
  table,
  text,
  type Cell,
} from "./html.js";
import { isCount } from "./scales.js";
import { taskTypesByStep } from "./task-types.js";
import { recipeDifferences } from "./recipe-difference.js";
import { loadRunData, type RunData } from "./run-data.js";
import { deviceDetails, deviceLine, lastDevice, stepTimings } from "./run-report.js";
import { wallSeconds } from "./series.js";

/** Write a side-by-side report of two run directories to `output` and return its path. */
export async function writeComparisonReport(first: string, second: string, output: string): Promise<string> {
  const [a, b] = await Promise.all([loadRunData(first), loadRunData(second)]);
  await writeFileAtomic(output, comparisonReportHtml(a, b));
  return path.resolve(output);
}

/** Two runs side by side: their metrics and the difference, their curves overlaid (B dashed), both recipes. */
export function comparisonReportHtml(a: RunData, b: RunData): string {
  const steps = [...new Set([...a.steps, ...b.steps])];
  const body = [
    `<header><h1>${escapeHtml(a.name)} <span class="subtitle">vs</span> ${escapeHtml(b.name)} <span class="subtitle">babelbed comparison</span></h1>`,
    `<div class="columns">${runFacts("A", a)}${runFacts("B", b)}</div></header>`,
    section("What differs", differenceSummary(a, b)),
    section("Metrics after training", metricsTable(a, b)),
    section(
      "Training and evaluation",
      `<p class="note">One colour per metric or objective: A solid, B dashed.</p>${chartSections(steps, [
        { label: "A", data: a },
        { label: "B", data: b },
      ])}`,
    ),
    section("Timings", timingsTable(a, b, steps)),
    section(
      "Devices",
      `<div class="columns"><div><h3>A</h3>${deviceDetails(a)}</div><div><h3>B</h3>${deviceDetails(b)}</div></div>`,
    ),
    section("Recipes", recipes(a, b)),
  ];
  return page(`${a.name} vs ${b.name} · babelbed comparison`, body.join("\n"));
}

/** The recipe settings that differ, first: they are what the comparison is about. */
function differenceSummary(a: RunData, b: RunData): string {
  const differences = recipeDifferences(a.recipeText, b.recipeText)?.filter((difference) => difference.path !== "name");
  if (differences === undefined)
    return '<p class="note">A recipe is missing or unreadable; the recipes are shown in full below.</p>';
  if (differences.length === 0) return '<p class="note">The two recipes are the same but for their names.</p>';
  const value = (shown: string | undefined) =>
    shown === undefined ? '<span class="missing">(not set)</span>' : `<code>${escapeHtml(shown)}</code>`;
  const items = differences.map(
    (difference) =>
      `<li><code>${escapeHtml(difference.path)}</code> ${value(difference.a)} → ${value(difference.b)}</li>`,
  );
  return `<ul class="differences">${items.join("")}</ul><p class="note">A → B, from the resolved recipes; both are shown in full at the end.</p>`;
}

function runFacts(label: string, run: RunData): string {
  return `<div><h3>${label}: ${escapeHtml(run.name)} ${statusBadge(run.status)}</h3>${facts([
    ["run directory", `<code>${escapeHtml(run.directory)}</code>`],
    ["device", escapeHtml(deviceLine(lastDevice(run)))],
    ["wall time", escapeHtml(formatSeconds(wallSeconds(run)))],
    ["started", escapeHtml(formatTime(run.segments[0]?.started ?? run.segments[0]?.firstRecord))],
  ])}</div>`;
}

/** Each step's final metrics in A and B; the difference is B − A, coloured by whether B is better. */
function metricsTable(a: RunData, b: RunData): string {
  const rows: Cell[][] = [];
  const keys: [string, string][] = [];
  for (const run of [a, b]) {
    for (const result of run.results) {
      for (const metric of Object.keys(result.after)) {
        if (!keys.some(([step, name]) => step === result.step && name === metric)) keys.push([result.step, metric]);
      }
    }
  }
  const types = [taskTypesByStep(a.recipeText), taskTypesByStep(b.recipeText)];
  // A task keeps its type across the two runs unless the recipes differ; A's, else B's.
  const taskTypes = (step: string) => new Map([...(types[1]!.get(step) ?? []), ...(types[0]!.get(step) ?? [])]);
  const entries = [stepTasksOfRecipe(a.recipeText), stepTasksOfRecipe(b.recipeText)];
  const describe = (step: string, metric: string) => {
    const task = metric.slice(0, Math.max(0, metric.lastIndexOf("/")));
    return describeMetric(metric, { ...(entries[0]!.get(step)?.get(task) ?? entries[1]!.get(step)?.get(task)) });
  };
  const value = (run: RunData, step: string, metric: string) =>
    run.results.find((result) => result.step === step)?.after[metric];
  for (const [index, [step, metric]] of keys.entries()) {
    const [left, right] = [value(a, step, metric), value(b, step, metric)];
    const difference = left === undefined || right === undefined || isCount(metric) ? undefined : right - left;
    const first = index === 0 || keys[index - 1]![0] !== step;
    // Named for people, the key beside; numbers in the one format of the run report.
    const described = describe(step, metric);
    const name = `${described.task === undefined ? "" : `${described.task}: `}${described.name}`;
    rows.push([
      text(first ? step : "", first ? "step first" : "step"),
      { html: `${escapeHtml(name)} <span class="key">${escapeHtml(metric)}</span>` },
      left === undefined ? text("—", "missing") : text(formatDescribed(described, left)),
      right === undefined ? text("—", "missing") : text(formatDescribed(described, right)),
      difference === undefined
        ? text("", "missing")
        : text(formatDescribedChange(described, difference), changeClass(metric, difference, taskTypes(step))),
    ]);
  }
  if (rows.length === 0) return '<p class="note">Neither run has metrics.</p>';
  return table(["step", "metric", "A", "B", "B − A"], rows, 2);
}

function timingsTable(a: RunData, b: RunData, steps: string[]): string {
  const perStep = (seconds: number | undefined) => (seconds === undefined ? "—" : `${seconds.toFixed(3)} s`);
  const rows = steps.map((step) => {
    const [left, right] = [stepTimings(a, step), stepTimings(b, step)];
    return [
      text(step, "step"),
      text(formatSeconds(left.seconds)),
      text(formatSeconds(right.seconds)),
      text(perStep(left.perStep)),
      text(perStep(right.perStep)),
    ];
  });
  rows.push([
    text("total", "step"),
    text(formatSeconds(wallSeconds(a))),
    text(formatSeconds(wallSeconds(b))),
    text(""),
    text(""),
  ]);
  return table(["step", "A wall time", "B wall time", "A per training step", "B per training step"], rows, 1);
}

/** Both recipes, lines that the other lacks highlighted. */
function recipes(a: RunData, b: RunData): string {
  const lines = (run: RunData) =>
    (run.recipeText ?? "").split("\n").filter((line) => !line.startsWith("# resolved from"));
  const [left, right] = [lines(a), lines(b)];
  const marked = (own: string[], other: string[]) => {
    const present = new Set(other.map((line) => line.trim()));
    return own
      .map((line) => (present.has(line.trim()) ? escapeHtml(line) : `<mark>${escapeHtml(line)}</mark>`))
      .join("\n");
  };
  const column = (label: string, run: RunData, body: string) =>
    `<div><h3>${label}: ${escapeHtml(run.name)}</h3>${run.recipeText === undefined ? '<p class="note">recipe.resolved.yaml is missing.</p>' : `<pre>${body}</pre>`}</div>`;
  return `<p class="note">Highlighted: lines the other recipe does not have.</p><div class="columns">${column("A", a, marked(left, right))}${column("B", b, marked(right, left))}</div>`;
}
