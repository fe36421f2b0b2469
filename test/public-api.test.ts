import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The names an `export { … }` / `export type { … }` list declares, as written (`a as b` counts once). */
function exportedNames(source: string): string[] {
  return [...source.matchAll(/export (?:type )?\{([^}]*)\}/g)].flatMap((match) =>
    match[1]!
      .split(",")
      .map((name) =>
        name
          .trim()
          .replace(/^type /, "")
          .split(" as ")
          .pop()!
          .trim(),
      )
      .filter(Boolean),
  );
}

test("the package root names at most 60 things and re-exports nothing wholesale", () => {
  const source = readFileSync(path.join(root, "src", "index.ts"), "utf8");
  assert.doesNotMatch(source, /export \* from/);
  const names = exportedNames(source);
  assert.ok(names.length <= 60, `src/index.ts exports ${names.length} names`);
  assert.equal(new Set(names).size, names.length, "a name is exported twice");
  for (const name of [
    "SentenceEncoder",
    "loadSentenceEncoder",
    "runRecipe",
    "Trainer",
    "evaluateSts",
    "BabelbedError",
  ]) {
    assert.ok(names.includes(name), `${name} is missing from the package root`);
  }
});

test("every subpath in package.json exports points at a barrel that loads", async () => {
  const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
    exports: Record<string, { types: string; import: string }>;
  };
  const subpaths = Object.keys(manifest.exports).filter((key) => key !== ".");
  assert.ok(subpaths.length >= 8);
  for (const subpath of subpaths) {
    const entry = manifest.exports[subpath]!;
    // dist/src/x/index.js is built from src/x/index.ts.
    const source = path.join(root, entry.import.replace(/^\.\/dist\//, "").replace(/\.js$/, ".ts"));
    assert.equal(entry.types, entry.import.replace(/\.js$/, ".d.ts"), subpath);
    const module = (await import(pathToFileURL(source).href)) as Record<string, unknown>;
    assert.ok(Object.keys(module).length > 0, `${subpath} (${source}) exports no value`);
  }
});

test("the root's values all come from some subpath too", async () => {
  const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
    exports: Record<string, { import: string }>;
  };
  const rootModule = (await import(pathToFileURL(path.join(root, "src", "index.ts")).href)) as Record<string, unknown>;
  const available = new Set<unknown>();
  for (const [subpath, entry] of Object.entries(manifest.exports)) {
    if (subpath === ".") continue;
    const source = path.join(root, entry.import.replace(/^\.\/dist\//, "").replace(/\.js$/, ".ts"));
    for (const value of Object.values((await import(pathToFileURL(source).href)) as Record<string, unknown>))
      available.add(value);
  }
  const missing = Object.entries(rootModule).filter(
    ([name, value]) => name !== "BabelbedError" && name !== "Random" && !available.has(value),
  );
  assert.deepEqual(
    missing.map(([name]) => name),
    [],
  );
});
