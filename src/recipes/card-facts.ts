import * as path from "node:path";
import { parse } from "yaml";
import type { ModelCardFacts } from "../io/model-card.js";
import { exists, readJsonFile } from "../util/files.js";
import { promises as fs } from "node:fs";
import type { StepResult } from "./run-directory.js";
import { recipeSchema, type Recipe, type RecipeStep } from "./schema.js";

type ModelSpec = Extract<RecipeStep, { step: "distill" }>["student"];

/**
 * What a run knows about one of its models for the model card: the step that made it (its
 * teacher, its starting point), the figures of that step and of evaluate steps on it, the recipe.
 */
export function cardFacts(recipe: Recipe, recipeYaml: string, model: string, completed: StepResult[], languages?: string[]): ModelCardFacts {
  const maker = recipe.steps.find((step) => step.name === model && step.step !== "export" && step.step !== "evaluate");
  const spec: ModelSpec | undefined =
    maker === undefined ? undefined : maker.step === "distill" ? maker.student : "model" in maker && typeof maker.model === "object" ? maker.model : undefined;
  const metrics: Record<string, number> = {};
  for (const result of completed) {
    const evaluates = recipe.steps.some((step) => step.step === "evaluate" && step.name === result.step && step.model === model);
    if (result.step !== model && !evaluates) continue;
    for (const [name, value] of Object.entries(result.after)) metrics[result.step === model ? name : `${result.step}: ${name}`] = value;
  }
  return {
    languages: languages ?? spec?.segment,
    teacher: maker?.step === "distill" ? describeModel(recipe, maker.teacher) : undefined,
    baseModel: spec === undefined ? undefined : spec.from !== undefined ? describeModel(recipe, spec.from) : freshModel(spec),
    recipe: recipeYaml,
    metrics,
  };
}

/** The facts of a model inside a run directory (`<run>/models/<name>`), or undefined elsewhere. */
export async function cardFactsFromRunModel(modelDir: string, languages?: string[]): Promise<ModelCardFacts | undefined> {
  const models = path.dirname(path.resolve(modelDir));
  const root = path.dirname(models);
  const recipeFile = path.join(root, "recipe.resolved.yaml");
  const stateFile = path.join(root, "state.json");
  if (path.basename(models) !== "models" || !(await exists(recipeFile)) || !(await exists(stateFile))) return undefined;
  const yaml = await fs.readFile(recipeFile, "utf8");
  const recipe = recipeSchema.safeParse(parse(yaml));
  if (!recipe.success) return undefined;
  const state = await readJsonFile<{ completed?: StepResult[] }>(stateFile);
  return cardFacts(recipe.data, yaml.replace(/^# resolved from .*\n/, ""), path.basename(modelDir), state.completed ?? [], languages);
}

function describeModel(recipe: Recipe, reference: string): string {
  const step = recipe.steps.find((candidate) => candidate.name === reference);
  if (step === undefined) return reference;
  const spec = step.step === "distill" ? step.student : "model" in step && typeof step.model === "object" ? step.model : undefined;
  const origin = spec === undefined ? "" : spec.from !== undefined ? `, from ${describeModel(recipe, spec.from)}` : `, ${freshModel(spec)}`;
  return `${reference} (made by this recipe's ${step.step} step${origin})`;
}

function freshModel(spec: ModelSpec): string {
  const fresh = spec.fresh;
  if (fresh === undefined) return "a fresh model";
  return `fresh BERT encoder trained from scratch (${fresh.layers} layer${fresh.layers === 1 ? "" : "s"}, hidden ${fresh.hiddenSize}, ${fresh.heads} heads, WordPiece vocabulary of ${fresh.vocabulary.size})`;
}
