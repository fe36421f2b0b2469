import { parse as parseYaml } from "yaml";

/** One setting that two recipes give differently: `student.training.learningRate 1e-3 → 3e-4`. */
export interface RecipeDifference {
  path: string;
  a?: string;
  b?: string;
}

/**
 * The settings in which two resolved recipes differ, as dotted paths. Steps are named by their
 * `name` and list items (objectives, evaluation tasks) by their `name` or `type` where they have
 * one, so that inserting a step does not make every later one "differ". Undefined when either
 * recipe is missing or not YAML.
 */
export function recipeDifferences(a: string | undefined, b: string | undefined): RecipeDifference[] | undefined {
  const [left, right] = [parsed(a), parsed(b)];
  if (left === undefined || right === undefined) return undefined;
  const [flatA, flatB] = [flatten(left), flatten(right)];
  const paths = [...new Set([...flatA.keys(), ...flatB.keys()])];
  return paths
    .filter((key) => flatA.get(key) !== flatB.get(key))
    .map((key) => ({ path: key, a: flatA.get(key), b: flatB.get(key) }));
}

function parsed(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return parseYaml(text) ?? undefined;
  } catch {
    return undefined;
  }
}

function flatten(value: unknown, prefix = "", into = new Map<string, string>()): Map<string, string> {
  if (Array.isArray(value)) {
    const labels = value.map((item, index) => itemLabel(item) ?? String(index));
    // Two items of one label (two classification objectives) fall back to positions.
    const distinct = new Set(labels).size === labels.length;
    value.forEach((item, index) => {
      flatten(item, join(prefix, distinct ? labels[index]! : String(index)), into);
    });
    if (value.length === 0) into.set(prefix, "[]");
  } else if (typeof value === "object" && value !== null) {
    const object = value as Record<string, unknown>;
    // Steps are named at the top: `student.training.learningRate`, not `steps.student.training.…`.
    for (const [key, inner] of Object.entries(object))
      flatten(inner, key === "steps" && prefix === "" ? "" : join(prefix, key), into);
  } else {
    into.set(prefix, shown(value));
  }
  return into;
}

function itemLabel(item: unknown): string | undefined {
  if (typeof item !== "object" || item === null) return undefined;
  const record = item as Record<string, unknown>;
  for (const key of ["name", "type", "task"]) if (typeof record[key] === "string") return record[key] as string;
  return undefined;
}

function join(prefix: string, key: string): string {
  return prefix === "" ? key : `${prefix}.${key}`;
}

/** Small numbers as `3e-4`, as recipes write learning rates; everything else as YAML would show it. */
function shown(value: unknown): string {
  if (typeof value === "number" && value !== 0 && Math.abs(value) < 0.01)
    return value
      .toExponential()
      .replace(/e([+-])(\d+)$/, (_, sign: string, digits: string) => `e${sign === "-" ? "-" : ""}${digits}`);
  return typeof value === "string" ? value : JSON.stringify(value);
}
