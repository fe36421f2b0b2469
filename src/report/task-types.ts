import { parse } from "yaml";

/**
 * Each step's evaluation tasks, name → type (`task:`), from a run's resolved recipe: a run's metrics
 * are named `<task name>/<metric>`, and only the type tells which way the metric improves.
 * An unreadable or missing recipe gives no entries (the metric names are then all there is).
 */
export function taskTypesByStep(recipeText: string | undefined): Map<string, Map<string, string>> {
  try {
    return taskTypesOfRecipe(recipeText === undefined ? undefined : parse(recipeText));
  } catch {
    return new Map();
  }
}

/** The same from a recipe already read; each step's tasks in the recipe's order. */
export function taskTypesOfRecipe(recipe: unknown): Map<string, Map<string, string>> {
  const byStep = new Map<string, Map<string, string>>();
  const steps = (recipe as { steps?: unknown } | undefined)?.steps;
  if (!Array.isArray(steps)) return byStep;
  for (const step of steps as Record<string, unknown>[]) {
    if (typeof step?.name !== "string") continue;
    const types = new Map<string, string>();
    for (const list of [step.evaluation, step.tasks]) {
      if (!Array.isArray(list)) continue;
      for (const task of list as Record<string, unknown>[]) {
        if (typeof task?.name === "string" && typeof task.task === "string") types.set(task.name, task.task);
      }
    }
    byStep.set(step.name, types);
  }
  return byStep;
}
