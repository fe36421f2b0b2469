import type { MetricDirection, TaskDescriptor } from "./descriptor.js";
import { mining } from "./mining.js";
import { mse } from "./mse.js";
import { retrieval } from "./retrieval.js";
import { sts } from "./sts.js";
import { alignmentUniformityTask } from "./alignment-uniformity.js";

/**
 * The evaluation tasks a recipe or `babelbed evaluate --task` can name, in the order the schema
 * lists them. Adding one: its file (descriptor), its test, and a line here.
 */
export const tasks: readonly TaskDescriptor[] = [sts, retrieval, mining, mse, alignmentUniformityTask];

export function taskDescriptor(name: string): TaskDescriptor {
  const descriptor = tasks.find((candidate) => candidate.name === name);
  if (descriptor === undefined) throw new Error(`no evaluation task named ${name}`);
  return descriptor;
}

/**
 * Which way a run's metric (`<task name>/<metric>`) improves, given each task's type by its name
 * (from the run's recipe). Without the type, a task named as its type is still known, and a
 * metric name that only one task reports tells its task; otherwise undefined.
 */
export function metricDirection(
  metric: string,
  taskTypes: ReadonlyMap<string, string> = new Map(),
): MetricDirection | undefined {
  const slash = metric.lastIndexOf("/");
  const taskName = metric.slice(0, Math.max(0, slash));
  const name = metric.slice(slash + 1);
  const type = taskTypes.get(taskName) ?? taskName;
  const own = tasks.find((task) => task.name === type)?.metrics[name];
  if (own !== undefined) return own.better;
  const reporting = tasks.filter((task) => task.metrics[name] !== undefined);
  return reporting.length === 1 ? reporting[0]!.metrics[name]!.better : undefined;
}
