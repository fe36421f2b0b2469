import * as path from "node:path";
import { writeFileAtomic } from "../util/files.js";
import { chartSections } from "./figures.js";
import { methodComparisonTable } from "./comparison-table.js";
import { describedMetricsTable, runHeadline, stepTasksOfRecipe } from "./described-metrics.js";
import { escapeHtml, facts, formatSeconds, formatTime, page, section, statusBadge, table, text } from "./html.js";
import { loadRunData, type DeviceRecord, type RunData } from "./run-data.js";
import { secondsPerTrainingStep, trainingSteps, wallSeconds } from "./series.js";

/** Rebuild `report.html` of a run directory (or write it to `output`) and return its path. */
export async function writeRunReport(directory: string, output = path.join(directory, "report.html")): Promise<string> {
  const data = await loadRunData(directory);
  await writeFileAtomic(output, runReportHtml(data));
  return path.resolve(output);
}

/** The report of one run: what ran where, the metrics before and after, the curves, the timings, the recipe. */
export function runReportHtml(run: RunData): string {
  const body = [
    header(run),
    comparisonSection(run),
    section("Metrics", describedMetricsTable(run.results, stepTasksOfRecipe(run.recipeText))),
    section("Training and evaluation", chartSections(run.steps, [{ label: "", data: run }])),
    section("Timings", timingsTable(run)),
    section("Device", deviceDetails(run)),
    section(
      "Recipe",
      run.recipeText === undefined
        ? '<p class="note">recipe.resolved.yaml is missing.</p>'
        : `<pre>${escapeHtml(run.recipeText)}</pre>`,
    ),
  ];
  return page(`${run.name} · babelbed run report`, body.join("\n"));
}

/** Steps compared side by side (a recipe of methods), when two or more share metrics; else nothing. */
function comparisonSection(run: RunData): string {
  const comparison = methodComparisonTable(run.results, stepTasksOfRecipe(run.recipeText));
  return comparison === "" ? "" : section("Steps compared", `<div class="scroll">${comparison}</div>`);
}

function header(run: RunData): string {
  const first = run.segments[0];
  const resumed = Math.max(0, run.segments.length - 1);
  const entries: [string, string][] = [
    ["device", escapeHtml(deviceLine(lastDevice(run)))],
    ["wall time", escapeHtml(formatSeconds(wallSeconds(run)))],
    ["started", escapeHtml(formatTime(first?.started ?? first?.firstRecord))],
    ["invocations", escapeHtml(resumed === 0 ? "1" : `${run.segments.length} (resumed ${resumed}×)`)],
    ["run directory", `<code>${escapeHtml(run.directory)}</code>`],
  ];
  const alerts: string[] = [];
  if (run.error !== undefined) alerts.push(`<div class="alert">${escapeHtml(run.error)}</div>`);
  if (run.status === "incomplete") {
    alerts.push(
      '<p class="note">The run left no final record: it was killed, or is still running. The report shows what it logged.</p>',
    );
  }
  if (run.skippedLines > 0) {
    alerts.push(
      `<p class="note">${run.skippedLines} line${run.skippedLines === 1 ? "" : "s"} of metrics.jsonl could not be read (cut short by a crash) and ${run.skippedLines === 1 ? "was" : "were"} skipped.</p>`,
    );
  }
  for (const result of run.results.filter((entry) => entry.partial !== undefined)) {
    const reached =
      result.kind === "training"
        ? `it reached training step ${result.partial!.trainingStep}`
        : "it stopped during its evaluation";
    alerts.push(
      `<p class="note unfinished">${escapeHtml(`Step ${result.step} did not finish: ${reached}. Run again with --resume to continue from its last checkpoint.`)}</p>`,
    );
  }
  for (const stop of run.timeBudgetStops) {
    const of = stop.totalSteps === undefined ? "" : ` of ${stop.totalSteps}`;
    const budget = stop.minutes === undefined ? "its time budget" : `its ${stop.minutes} minutes (maxMinutes)`;
    alerts.push(
      `<p class="note">${escapeHtml(`${stop.step} stopped at step ${stop.trainingStep}${of}: ${budget} were spent. Its learning rate had not finished decaying.`)}</p>`,
    );
  }
  const headline = runHeadline(run.results, stepTasksOfRecipe(run.recipeText));
  const lead = headline === undefined ? "" : `<p class="headline">${escapeHtml(headline)}</p>`;
  return `<header><h1>${escapeHtml(run.name)} ${statusBadge(run.status)} <span class="subtitle">babelbed run report</span></h1>${lead}${facts(entries)}${alerts.join("")}</header>`;
}

export function lastDevice(run: RunData): DeviceRecord | undefined {
  return [...run.segments].reverse().find((segment) => segment.device !== undefined)?.device;
}

export function deviceLine(device: DeviceRecord | undefined): string {
  if (device === undefined || (device.device === undefined && device.backend === undefined)) return "not recorded";
  const threads =
    typeof device.threads === "number" ? `, ${device.threads} thread${device.threads === 1 ? "" : "s"}` : "";
  return `${device.device ?? "?"} (tfjs backend "${device.backend ?? "?"}"${threads})`;
}

/** Wall time of each step and the pace of its training steps. */
export function stepTimings(
  run: RunData,
  step: string,
): { kind: string; seconds?: number; steps: number; perStep?: number } {
  const result = run.results.find((entry) => entry.step === step);
  return {
    kind: result?.kind ?? "",
    seconds: result?.seconds,
    steps: trainingSteps(run.training, step),
    perStep: secondsPerTrainingStep(run.training, step),
  };
}

function timingsTable(run: RunData): string {
  const rows = run.steps.map((step) => {
    const timing = stepTimings(run, step);
    return [
      text(step, "step"),
      text(timing.kind),
      text(formatSeconds(timing.seconds)),
      text(timing.steps === 0 ? "—" : String(timing.steps)),
      text(timing.perStep === undefined ? "—" : `${timing.perStep.toFixed(3)} s`),
      text(timing.perStep === undefined || timing.perStep === 0 ? "—" : (1 / timing.perStep).toFixed(2)),
    ];
  });
  rows.push([text("total", "step"), text(""), text(formatSeconds(wallSeconds(run))), text(""), text(""), text("")]);
  const note =
    '<p class="note">Seconds per training step: the median gap between consecutive steps, which leaves out pauses to evaluate and checkpoint.</p>';
  return table(["step", "kind", "wall time", "training steps", "per training step", "steps / s"], rows, 2) + note;
}

export function deviceDetails(run: RunData): string {
  const device = lastDevice(run);
  if (device === undefined) return '<p class="note">Not recorded: the run predates the run-start record.</p>';
  const versions = Object.entries(device.versions ?? {}).map(([name, version]) => `  ${name} ${version}`);
  const lines = [
    deviceLine(device),
    ...(device.notes ?? []),
    ...(versions.length > 0 ? ["versions:", ...versions] : []),
  ];
  return `<pre class="wrap">${escapeHtml(lines.join("\n"))}</pre>`;
}
