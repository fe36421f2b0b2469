import { formatMetric as format } from "../util/format.js";
import type { StepResult } from "./run-directory.js";

/** The final table: every metric of every step, before and after training side by side. */
export function summaryTable(results: StepResult[]): string {
  const rows: string[][] = [["step", "metric", "before", "after", "change"]];
  for (const result of results) {
    for (const [metric, after] of Object.entries(result.after)) {
      const before = result.before?.[metric];
      rows.push([
        result.step,
        metric,
        before === undefined ? "" : format(before),
        format(after),
        before === undefined ? "" : `${after - before >= 0 ? "+" : ""}${format(after - before)}`,
      ]);
    }
    if (Object.keys(result.after).length === 0) rows.push([result.step, `(${result.kind}, ${result.seconds.toFixed(1)}s)`, "", "", ""]);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: string[]) => row.map((cell, column) => (column >= 2 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join("  ");
  return [line(rows[0]!), widths.map((width) => "-".repeat(width)).join("  "), ...rows.slice(1).map(line)].join("\n");
}
