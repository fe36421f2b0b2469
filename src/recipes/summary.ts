import { taskDescriptor } from "../evaluate/tasks/registry.js";
import {
  describeMetrics,
  formatDescribed,
  formatDescribedChange,
  judgeChange,
  type TaskSpecLike,
} from "../evaluate/metric-descriptions.js";
import type { StepResult } from "./run-directory.js";

/** Each step's tasks by name: type, and the recipe's entry (which tells the languages). */
export type StepTasks = ReadonlyMap<string, ReadonlyMap<string, { type?: string; spec?: TaskSpecLike }>>;

export interface SummaryOptions {
  /** The recipe's task entries (src/recipes/metric-descriptions.ts `taskEntriesOfRecipe`), for names in the data's languages. */
  tasks?: StepTasks;
  /** Green ▲ for better, red ▼ for worse; by default when stdout is a terminal and colour is not turned off. */
  colour?: boolean;
}

/** Colour for text on `stream`: FORCE_COLOR as set (src/cli/colour.ts sets 0 for no terminal or NO_COLOR), else a terminal without NO_COLOR. */
export function wantsColour(stream: { isTTY?: boolean } = process.stdout): boolean {
  const force = process.env.FORCE_COLOR;
  if (force !== undefined && force !== "") return force !== "0" && force !== "false";
  return stream.isTTY === true && (process.env.NO_COLOR ?? "") === "" && process.env.TERM !== "dumb";
}

const marks = { better: ["▲", "\u001b[32m"], worse: ["▼", "\u001b[31m"], same: ["=", ""] } as const;

/**
 * The final table: every metric of every step by its name for people, before and after training,
 * each change marked ▲ better, ▼ worse or = by the metric's direction. A count is no row: it is the
 * n of its task's metrics. A metric that is no score (a threshold) shows no change; a training
 * step's deciding metric (its first task's primary one, which keeps the best model) is starred.
 * `taskTypes`: each step's tasks, name → type, in the recipe's order.
 */
export function summaryTable(
  results: StepResult[],
  taskTypes: ReadonlyMap<string, ReadonlyMap<string, string>> = new Map(),
  options: SummaryOptions = {},
): string {
  const colour = options.colour ?? wantsColour();
  const rows: { cells: string[]; colour?: string }[] = [
    { cells: ["step", "metric", "n", "chance", "before", "after", "change"] },
  ];
  let starred = false;
  for (const result of results) {
    const types = taskTypes.get(result.step);
    const tasksOf = new Map<string, { type?: string; spec?: TaskSpecLike }>(
      [...(types ?? [])].map(([name, type]) => [name, { type, ...options.tasks?.get(result.step)?.get(name) }]),
    );
    for (const [name, entry] of options.tasks?.get(result.step) ?? [])
      if (!tasksOf.has(name)) tasksOf.set(name, { ...entry });
    const deciding = result.kind === "training" ? decidingMetric(types) : undefined;
    const described = describeMetrics(result.after, tasksOf);
    for (const description of described.filter((entry) => !entry.count)) {
      const after = result.after[description.metric]!;
      const before = result.before?.[description.metric];
      const judged = before === undefined ? "none" : judgeChange(description, after - before);
      const mark = judged === "none" ? undefined : marks[judged];
      const star = description.metric === deciding;
      starred ||= star;
      rows.push({
        cells: [
          result.step,
          `${description.task === undefined ? "" : `${description.task}: `}${description.name}${star ? " *" : ""}`,
          description.n === undefined ? "" : String(description.n),
          description.chance === undefined ? "" : formatDescribed(description, description.chance),
          before === undefined ? "" : formatDescribed(description, before),
          formatDescribed(description, after),
          before === undefined || mark === undefined
            ? ""
            : `${mark[0]} ${formatDescribedChange(description, after - before)}`,
        ],
        ...(mark === undefined || mark[1] === "" ? {} : { colour: mark[1] }),
      });
    }
    if (described.every((entry) => entry.count))
      rows.push({ cells: [result.step, `(${result.kind}, ${result.seconds.toFixed(1)}s)`, "", "", "", "", ""] });
  }
  const widths = rows[0]!.cells.map((_, column) => Math.max(...rows.map((row) => row.cells[column]!.length)));
  const line = (row: { cells: string[]; colour?: string }) =>
    row.cells
      .map((cell, column) => {
        const padded = column >= 2 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!);
        // Padded first, so that the invisible escape codes do not count towards the width.
        return column === row.cells.length - 1 && colour && row.colour !== undefined
          ? `${row.colour}${padded}\u001b[39m`
          : padded;
      })
      .join("  ")
      .trimEnd();
  const note = starred ? ["* decides which model a training step keeps (its first task's primary metric)"] : [];
  return [
    line(rows[0]!),
    widths.map((width) => "-".repeat(width)).join("  "),
    ...rows.slice(1).map(line),
    ...note,
  ].join("\n");
}

function decidingMetric(types: ReadonlyMap<string, string> | undefined): string | undefined {
  const first = types === undefined ? undefined : [...types][0];
  if (first === undefined) return undefined;
  return `${first[0]}/${taskDescriptor(first[1]).primary}`;
}
