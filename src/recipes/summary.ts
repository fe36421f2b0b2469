import { metricDirection, taskDescriptor } from "../evaluate/tasks/registry.js";
import { formatMetric as format } from "../util/format.js";
import type { StepResult } from "./run-directory.js";

/**
 * The final table: every metric of every step, before and after training side by side. A metric
 * that is no score (a count, a threshold) shows no change; a training step's deciding metric (its
 * first task's primary one, which keeps the best model) is starred. `taskTypes`: each step's
 * tasks, name → type, in the recipe's order.
 */
export function summaryTable(results: StepResult[], taskTypes: ReadonlyMap<string, ReadonlyMap<string, string>> = new Map()): string {
  const rows: string[][] = [["step", "metric", "before", "after", "change"]];
  let starred = false;
  for (const result of results) {
    const types = taskTypes.get(result.step);
    const deciding = result.kind === "training" ? decidingMetric(types) : undefined;
    for (const [metric, after] of Object.entries(result.after)) {
      const before = result.before?.[metric];
      const scored = metricDirection(metric, types) !== "none";
      starred ||= metric === deciding;
      rows.push([
        result.step,
        metric === deciding ? `${metric} *` : metric,
        before === undefined ? "" : format(before),
        format(after),
        before === undefined || !scored ? "" : `${after - before >= 0 ? "+" : ""}${format(after - before)}`,
      ]);
    }
    if (Object.keys(result.after).length === 0) rows.push([result.step, `(${result.kind}, ${result.seconds.toFixed(1)}s)`, "", "", ""]);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: string[]) => row.map((cell, column) => (column >= 2 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join("  ");
  const note = starred ? ["* decides which model a training step keeps (its first task's primary metric)"] : [];
  return [line(rows[0]!), widths.map((width) => "-".repeat(width)).join("  "), ...rows.slice(1).map(line), ...note].join("\n");
}

function decidingMetric(types: ReadonlyMap<string, string> | undefined): string | undefined {
  const first = types === undefined ? undefined : [...types][0];
  if (first === undefined) return undefined;
  return `${first[0]}/${taskDescriptor(first[1]).primary}`;
}
