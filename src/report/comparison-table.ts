import { describeMetrics, formatDescribed, type MetricDescription } from "../evaluate/metric-descriptions.js";
import { type Cell, escapeHtml, text } from "./html.js";
import type { StepTasks } from "./described-metrics.js";
import type { StepSummary } from "./run-data.js";

/** One row per step, one column per metric, each step's final values; undefined when fewer than two steps compare. */
export interface MethodComparison {
  columns: MetricDescription[];
  rows: { step: string; values: (number | undefined)[] }[];
  /** Per column, the best value by the metric's direction; undefined for directionless metrics. */
  best: (number | undefined)[];
}

/**
 * A recipe that compares methods (`recipes/sentence-embeddings.yaml`) evaluates each step on the
 * same tasks; side by side, one row per step, is how such a run is read. Each step's final value:
 * after training, or an evaluate, whiten or flow step's only one. Only metrics that two steps or
 * more share are columns, and the table exists only with two such steps, so that a run whose steps
 * evaluate different things (a distillation) keeps its report's shape. Counts are not columns.
 */
export function methodComparison(results: StepSummary[], tasks: StepTasks): MethodComparison | undefined {
  const described = results.map((result) => ({
    step: result.step,
    after: result.after,
    metrics: describeMetrics(result.after, tasks.get(result.step) ?? new Map()).filter((entry) => !entry.count),
  }));
  const byMetric = new Map<string, { description: MetricDescription; steps: number }>();
  for (const { metrics } of described) {
    for (const description of metrics) {
      const known = byMetric.get(description.metric);
      byMetric.set(description.metric, {
        description: known?.description ?? description,
        steps: (known?.steps ?? 0) + 1,
      });
    }
  }
  const columns = [...byMetric.values()].filter((entry) => entry.steps >= 2).map((entry) => entry.description);
  const rows = described
    .filter(({ after }) => columns.some((column) => after[column.metric] !== undefined))
    .map(({ step, after }) => ({ step, values: columns.map((column) => after[column.metric]) }));
  if (rows.length < 2) return undefined;
  const best = columns.map((column, index) => {
    if (column.better !== "higher" && column.better !== "lower") return undefined;
    const values = rows.flatMap((row) => (row.values[index] === undefined ? [] : [row.values[index]!]));
    return column.better === "higher" ? Math.max(...values) : Math.min(...values);
  });
  return { columns, rows, best };
}

/** The comparison as an HTML table, the best value of each column marked; empty when there is none. */
export function methodComparisonTable(results: StepSummary[], tasks: StepTasks): string {
  const comparison = methodComparison(results, tasks);
  if (comparison === undefined) return "";
  const { columns, rows, best } = comparison;
  const head = columns
    .map((column) => {
      const direction = column.better === "higher" ? " ↑" : column.better === "lower" ? " ↓" : "";
      const name = `${column.task === undefined ? "" : `${column.task}: `}${column.name}${direction}`;
      return `<th class="number">${escapeHtml(name)} <span class="key">${escapeHtml(column.metric)}</span></th>`;
    })
    .join("");
  const body = rows
    .map((row) => {
      const cells: Cell[] = [
        text(row.step, "step"),
        ...row.values.map((value, index) => {
          if (value === undefined) return text("—", "number missing");
          const shown = formatDescribed(columns[index]!, value);
          return value === best[index] ? text(`★ ${shown}`, "number best") : text(shown, "number");
        }),
      ];
      return `<tr>${cells.map((cell) => `<td class="${cell.className ?? ""}">${cell.html}</td>`).join("")}</tr>`;
    })
    .join("\n");
  const note =
    "Each step's final value: after training, or the only evaluation of an evaluate, whiten or flow step. ★ the best of each column (↑ higher is better, ↓ lower); columns: metrics two steps or more share.";
  return `<table class="comparison"><thead><tr><th>step</th>${head}</tr></thead><tbody>\n${body}\n</tbody></table><p class="note">${escapeHtml(note)}</p>`;
}
