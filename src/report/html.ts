import { metricDirection } from "../evaluate/tasks/registry.js";
import { escapeHtml, formatMetric } from "../util/format.js";
import { fontFamily } from "./charts.js";
import { isCount } from "./scales.js";

export { escapeHtml, formatMetric };

/** A metric's value in a table; a count (`en-de/pairs`) as a whole number. */
export function formatValue(metric: string, value: number): string {
  return isCount(metric) ? String(Math.round(value)) : formatMetric(value);
}

export function formatChange(value: number): string {
  return `${value >= 0 ? "+" : "−"}${formatMetric(Math.abs(value))}`;
}

export function formatSeconds(seconds: number | undefined): string {
  if (seconds === undefined) return "—";
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  const whole = Math.round(seconds);
  const [hours, minutes, rest] = [Math.floor(whole / 3600), Math.floor((whole % 3600) / 60), whole % 60];
  return hours > 0
    ? `${hours} h ${String(minutes).padStart(2, "0")} min`
    : `${minutes} min ${String(rest).padStart(2, "0")} s`;
}

export function formatTime(milliseconds: number | undefined): string {
  return milliseconds === undefined
    ? "—"
    : new Date(milliseconds)
        .toISOString()
        .replace("T", " ")
        .replace(/\.\d+Z$/, " UTC");
}

/** A metric no task declares, known by its name only: MSE and losses fall as a model improves, the rest rise. */
export function lowerIsBetter(metric: string): boolean {
  const name = metric.slice(metric.lastIndexOf("/") + 1).toLowerCase();
  return name.startsWith("mse") || name.includes("loss");
}

/**
 * The class that colours a change: better green, worse red, none grey. Which way is better is the
 * task's (its descriptor, found by the task's type in `taskTypes`, name → type); a metric that is
 * no score (a mining threshold) stays grey.
 */
export function changeClass(metric: string, change: number, taskTypes?: ReadonlyMap<string, string>): string {
  if (change === 0 || !Number.isFinite(change)) return "same";
  const better = metricDirection(metric, taskTypes) ?? (lowerIsBetter(metric) ? "lower" : "higher");
  if (better === "none") return "same";
  return change > 0 === (better === "higher") ? "better" : "worse";
}

export interface Cell {
  /** Already-escaped HTML. */
  html: string;
  className?: string;
}

export const text = (value: string, className?: string): Cell => ({ html: escapeHtml(value), className });

export function table(head: string[], rows: Cell[][], numericFrom: number): string {
  const header = head
    .map((name, column) => `<th${column >= numericFrom ? ' class="number"' : ""}>${escapeHtml(name)}</th>`)
    .join("");
  const body = rows
    .map(
      (row) =>
        `<tr>${row.map((cell, column) => `<td class="${[column >= numericFrom ? "number" : "", cell.className ?? ""].join(" ").trim()}">${cell.html}</td>`).join("")}</tr>`,
    )
    .join("\n");
  return `<table><thead><tr>${header}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** A definition list of facts: label and already-escaped value. */
export function facts(entries: [string, string][]): string {
  return `<dl class="facts">${entries.map(([label, value]) => `<div><dt>${escapeHtml(label)}</dt><dd>${value}</dd></div>`).join("")}</dl>`;
}

export function section(title: string, body: string): string {
  return `<section><h2>${escapeHtml(title)}</h2>\n${body}\n</section>`;
}

export function figure(title: string, svg: string, note = ""): string {
  return `<figure><figcaption>${escapeHtml(title)}</figcaption>${svg}${note === "" ? "" : `<p class="note">${note}</p>`}</figure>`;
}

export function statusBadge(status: string): string {
  return `<span class="status ${escapeHtml(status)}">${escapeHtml(status)}</span>`;
}

const stylesheet = `
:root { color-scheme: light; --ink: #1f2328; --muted: #59636e; --line: #d8dee4; --panel: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font-family: ${fontFamily}; color: var(--ink); background: #fff; line-height: 1.45; font-size: 15px; }
main { max-width: 1180px; margin: 0 auto; padding: 28px 28px 56px; }
header { border-bottom: 1px solid var(--line); padding-bottom: 16px; margin-bottom: 8px; }
h1 { font-size: 26px; margin: 0 0 12px; display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
h1 .subtitle { font-weight: 400; color: var(--muted); font-size: 17px; }
h2 { font-size: 19px; margin: 30px 0 12px; padding-bottom: 4px; }
.status { font-size: 13px; font-weight: 600; padding: 2px 10px; border-radius: 999px; background: #eaeef2; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.status.finished { background: #dafbe1; color: #1a7f37; }
.status.interrupted, .status.incomplete { background: #fff8c5; color: #7d4e00; }
.status.failed { background: #ffebe9; color: #cf222e; }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr)); gap: 10px 24px; margin: 0; }
.facts div { min-width: 0; }
.facts dt { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.facts dd { margin: 2px 0 0; overflow-wrap: anywhere; }
.columns { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 24px; }
.columns > div { min-width: 0; }
.columns h3 { font-size: 15px; margin: 0 0 8px; }
.alert { background: #ffebe9; border: 1px solid #ffcecb; border-radius: 6px; padding: 10px 14px; margin-top: 14px; white-space: pre-wrap; }
.note { color: var(--muted); font-size: 13px; margin: 6px 0 0; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); }
th { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; background: var(--panel); }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:hover { background: #f6f8fa; }
td.step { font-weight: 600; }
tr:has(td.first):not(:first-child) td { border-top: 2px solid var(--line); }
td.better { color: #1a7f37; font-weight: 600; }
td.worse { color: #cf222e; font-weight: 600; }
td.same, td.missing { color: var(--muted); }
td.best { color: #1a7f37; font-weight: 700; }
.scroll { overflow-x: auto; }
table.comparison th { white-space: normal; min-width: 7em; max-width: 13em; text-transform: none; letter-spacing: 0; vertical-align: bottom; }
table.comparison th .key { display: block; margin: 2px 0 0; }
table.comparison td.step { white-space: nowrap; }
td .key { color: var(--muted); font-size: 12px; margin-left: 6px; }
.headline { font-size: 17px; margin: 0 0 14px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(520px, 100%), 1fr)); gap: 18px; }
.charts > figure { min-width: 0; }
figure { margin: 0 0 18px; border: 1px solid var(--line); border-radius: 8px; padding: 12px 12px 8px; background: #fff; }
figcaption { font-weight: 600; font-size: 14px; margin: 0 0 4px 4px; }
figure svg { display: block; width: 100%; height: auto; }
pre { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; overflow: auto; font-size: 12.5px; line-height: 1.5; max-height: 640px; margin: 0; }
pre mark { background: #fff1b8; color: inherit; }
pre.wrap { white-space: pre-wrap; overflow-wrap: anywhere; }
.differences { margin: 0; padding-left: 20px; columns: 2 360px; column-gap: 32px; }
.differences li { margin: 2px 0; break-inside: avoid; overflow-wrap: anywhere; }
.differences .missing { color: var(--muted); font-style: italic; }
code { font-size: 13px; }
details summary { cursor: pointer; color: var(--muted); margin-top: 10px; }
@media (max-width: 800px) { .columns { grid-template-columns: minmax(0, 1fr); } .charts { grid-template-columns: 1fr; } }
@media print { main { max-width: none; padding: 0; } figure { break-inside: avoid; } pre { max-height: none; } }
`;

/** The whole page: one file, styles inline, no script and nothing fetched. */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="babelbed">
<title>${escapeHtml(title)}</title>
<style>${stylesheet}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}
