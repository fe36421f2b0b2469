import { promises as fs, constants } from "node:fs";
import * as path from "node:path";
import { isNode, LineCounter, parseDocument } from "yaml";
import { inspectModelDirectory } from "../io/model-directory.js";
import { readSentenceTransformerLayout } from "../io/sentence-transformers/index.js";
import { configFromJson } from "../model/config.js";
import { BabelbedError } from "../util/errors.js";
import { exists } from "../util/files.js";
import type { LoadedRecipe } from "./load.js";

type Key = string | number;

/**
 * Check a whole recipe before its first step runs, so that a typo in step 4 does not cost the
 * training of steps 1 to 3: every data file exists and is readable, every model reference is an
 * earlier step or a model directory whose config loads. Each problem names its recipe line.
 */
export async function checkRecipeInputs(loaded: LoadedRecipe): Promise<void> {
  const problems: { keys: Key[]; message: string }[] = [];
  const earlier = new Set<string>();
  const all = new Set(loaded.recipe.steps.map((step) => step.name));
  for (const [index, step] of loaded.recipe.steps.entries()) {
    for (const { keys, kind, value } of references(step, ["steps", index])) {
      const message =
        kind === "file"
          ? await checkFile(path.resolve(loaded.directory, value))
          : await checkModel(value, earlier, all, loaded.directory);
      if (message !== undefined) problems.push({ keys, message });
    }
    earlier.add(step.name);
  }
  if (problems.length === 0) return;
  const locate = await lineLocator(loaded.file);
  throw new BabelbedError(
    problems
      .slice(0, 10)
      .map(({ keys, message }) => `${loaded.file}:${locate(keys)}: field ${keys.join(".")}: ${message}`)
      .join("\n"),
  );
}

/** Data files and model references anywhere in a step, with where they are written. */
function* references(value: unknown, keys: Key[]): Generator<{ keys: Key[]; kind: "file" | "model"; value: string }> {
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) yield* references(item, [...keys, index]);
    return;
  }
  if (value === null || typeof value !== "object") return;
  const object = value as Record<string, unknown>;
  const isDataSource = typeof object.kind === "string";
  for (const [key, item] of Object.entries(object)) {
    const at = [...keys, key];
    if (isDataSource && key === "file" && typeof item === "string") yield { keys: at, kind: "file", value: item };
    else if (isDataSource && key === "files" && item !== null && typeof item === "object") {
      for (const [side, file] of Object.entries(item as Record<string, unknown>))
        if (typeof file === "string") yield { keys: [...at, side], kind: "file", value: file };
    } else if ((key === "from" || key === "teacher" || key === "model") && typeof item === "string")
      yield { keys: at, kind: "model", value: item };
    else yield* references(item, at);
  }
}

async function checkFile(file: string): Promise<string | undefined> {
  const stat = await fs.stat(file).catch(() => undefined);
  if (stat === undefined) return `${file} does not exist`;
  if (!stat.isFile()) return `${file} is not a file`;
  return fs.access(file, constants.R_OK).then(
    () => undefined,
    (error: NodeJS.ErrnoException) => `${file} cannot be read (${error.code ?? String(error)})`,
  );
}

/** As `modelResolver` resolves at run time: an earlier step's name wins over a directory. */
async function checkModel(
  reference: string,
  earlier: Set<string>,
  steps: Set<string>,
  recipeDirectory: string,
): Promise<string | undefined> {
  if (earlier.has(reference)) return undefined;
  const directory = path.resolve(recipeDirectory, reference);
  if (!(await exists(directory))) {
    return steps.has(reference)
      ? `step "${reference}" is not an earlier step: a step can only use the models of steps above it`
      : `"${reference}" is neither an earlier step (${[...earlier].join(", ") || "none"}) nor a model directory (${directory})`;
  }
  try {
    const modules = await readSentenceTransformerLayout(directory);
    const transformer = modules.find((module) => module.kind === "transformer");
    const found = await inspectModelDirectory(path.join(directory, transformer?.path ?? ""));
    configFromJson(found.config, found.configFile);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

async function lineLocator(file: string): Promise<(keys: Key[]) => number> {
  const lines = new LineCounter();
  const document = parseDocument(await fs.readFile(file, "utf8"), { lineCounter: lines });
  return (keys) => {
    for (let depth = keys.length; depth >= 0; depth--) {
      const node = document.getIn(keys.slice(0, depth), true);
      if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
    }
    return 1;
  };
}
