import { promises as fs } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import type { ModelCardFacts } from "../io/model-card.js";
import { exists, readJsonFile } from "../util/files.js";
import { cardFacts } from "./card-facts.js";
import type { StepResult } from "./run-directory.js";
import { recipeSchema } from "./schema.js";

// Apart from card-facts.ts, which the export step imports: this reads a recipe, so it needs the
// recipe schema, which imports the step registry and so every step.
/** The facts of a model inside a run directory (`<run>/models/<name>`), or undefined elsewhere. */
export async function cardFactsFromRunModel(
  modelDir: string,
  languages?: string[],
): Promise<ModelCardFacts | undefined> {
  const models = path.dirname(path.resolve(modelDir));
  const root = path.dirname(models);
  const recipeFile = path.join(root, "recipe.resolved.yaml");
  const stateFile = path.join(root, "state.json");
  if (path.basename(models) !== "models" || !(await exists(recipeFile)) || !(await exists(stateFile))) return undefined;
  const yaml = await fs.readFile(recipeFile, "utf8");
  const recipe = recipeSchema.safeParse(parse(yaml));
  if (!recipe.success) return undefined;
  const state = await readJsonFile<{ completed?: StepResult[] }>(stateFile);
  return cardFacts(
    recipe.data,
    yaml.replace(/^# resolved from .*\n/, ""),
    path.basename(modelDir),
    state.completed ?? [],
    languages,
  );
}
