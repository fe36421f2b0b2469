import { describeMetrics, taskEntriesOfRecipe } from "../evaluate/metric-descriptions.js";
import type { CardFigure, ModelCardFacts } from "../io/model-card.js";
import type { StepResult } from "./run-directory.js";
import type { ModelSpec, RecipeSettings as Recipe } from "./schema-parts.js";

/** The fields of a step that tell where its model came from (a distill step's student and teacher, another's model). */
type ModelMaker = Recipe["steps"][number] & { student?: ModelSpec; teacher?: string; model?: unknown };

/**
 * What a run knows about one of its models for the model card: the step that made it (its
 * teacher, its starting point), the figures of that step and of evaluate steps on it, the recipe.
 */
export function cardFacts(
  recipe: Recipe,
  recipeYaml: string,
  model: string,
  completed: StepResult[],
  languages?: string[],
): ModelCardFacts {
  const maker: ModelMaker | undefined = recipe.steps.find(
    (step) => step.name === model && step.step !== "export" && step.step !== "evaluate",
  );
  const spec: ModelSpec | undefined =
    maker === undefined
      ? undefined
      : maker.step === "distill"
        ? maker.student
        : "model" in maker && typeof maker.model === "object"
          ? (maker.model as ModelSpec)
          : undefined;
  const metrics: Record<string, number> = {};
  const figures: CardFigure[] = [];
  // Each step's tasks (type and data) name its figures for people, in the data's languages.
  const tasks = taskEntriesOfRecipe(recipe);
  for (const result of completed) {
    const evaluates = recipe.steps.some(
      (step) => step.step === "evaluate" && step.name === result.step && step.model === model,
    );
    if (result.step !== model && !evaluates) continue;
    for (const [name, value] of Object.entries(result.after))
      metrics[result.step === model ? name : `${result.step}: ${name}`] = value;
    for (const description of describeMetrics(result.after, tasks.get(result.step)))
      figures.push({
        description,
        value: result.after[description.metric]!,
        ...(result.step === model ? {} : { step: result.step }),
      });
  }
  return {
    languages: languages ?? spec?.segment,
    teacher: maker?.step === "distill" ? describeModel(recipe, maker.teacher!) : undefined,
    baseModel:
      spec === undefined ? undefined : spec.from !== undefined ? describeModel(recipe, spec.from) : freshModel(spec),
    recipe: recipeYaml,
    metrics,
    figures,
  };
}

function describeModel(recipe: Recipe, reference: string): string {
  const step: ModelMaker | undefined = recipe.steps.find((candidate) => candidate.name === reference);
  if (step === undefined) return reference;
  const spec =
    step.step === "distill"
      ? step.student
      : "model" in step && typeof step.model === "object"
        ? (step.model as ModelSpec)
        : undefined;
  const origin =
    spec === undefined
      ? ""
      : spec.from !== undefined
        ? `, from ${describeModel(recipe, spec.from)}`
        : `, ${freshModel(spec)}`;
  return `${reference} (made by this recipe's ${step.step} step${origin})`;
}

function freshModel(spec: ModelSpec): string {
  const fresh = spec.fresh;
  if (fresh === undefined) return "a fresh model";
  return `fresh BERT encoder trained from scratch (${fresh.layers} layer${fresh.layers === 1 ? "" : "s"}, hidden ${fresh.hiddenSize}, ${fresh.heads} heads, WordPiece vocabulary of ${fresh.vocabulary.size})`;
}
