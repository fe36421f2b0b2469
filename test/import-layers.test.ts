import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const source = path.join(root, "src");

/** The folders in the order the data flows: a module may import from its own folder and those before it. */
const layers = [
  "util",
  "device",
  "text",
  "data",
  "model",
  "losses",
  "train",
  "evaluate",
  "io",
  "report",
  "recipes",
  "cli",
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(file) : file.endsWith(".ts") ? [file] : [];
  });
}

/** Every relative import and re-export of a file, type-only ones included, as resolved .ts paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"/gs)].map((match) => {
    const target = path.resolve(path.dirname(file), match[1]!).replace(/\.js$/, ".ts");
    return existsSync(target) ? target : target.replace(/\.ts$/, "/index.ts");
  });
}

const graph = new Map(sourceFiles(source).map((file) => [file, importsOf(file)]));
const layerOf = (file: string) => layers.indexOf(path.relative(source, file).split(path.sep)[0]!);

test("no module imports a later layer (text → data → model → losses → train → evaluate → io → report → recipes → cli)", () => {
  const upward: string[] = [];
  for (const [file, imports] of graph) {
    for (const target of imports) {
      if (layerOf(file) >= 0 && layerOf(target) > layerOf(file)) {
        upward.push(`${path.relative(root, file)} → ${path.relative(root, target)}`);
      }
    }
  }
  assert.deepEqual(upward, []);
});

test("no import circle, type-only imports included (Tarjan's strongly connected components)", () => {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (file: string) => {
    index.set(file, counter);
    low.set(file, counter);
    counter += 1;
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!graph.has(target)) continue;
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file)!, index.get(target)!));
      }
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(path.relative(root, member));
      } while (member !== file);
      if (component.length > 1) circles.push(component);
    }
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  assert.deepEqual(circles, []);
  assert.ok(graph.size > 200, `read ${graph.size} modules`);
});
