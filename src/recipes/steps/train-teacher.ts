import type { RowOfKind } from "../../data/rows.js";
import { nliLabels } from "../../data/source.js";
import { SoftmaxClassifier } from "../../losses/softmax.js";
import { ClassificationObjective, RegressionObjective, TripletObjective } from "../../train/objectives/siamese.js";
import type { TrainingObjective } from "../../train/objectives/objective.js";
import type { RunContext } from "../context.js";
import { readRows, readScoredPairs } from "../data.js";
import { buildEncoder } from "../models.js";
import type { RecipeStep } from "../schema.js";
import type { StepResult } from "../run-directory.js";
import { runTraining } from "./training.js";

type TeacherStep = Extract<RecipeStep, { step: "train-teacher" }>;

/** The English SBERT teacher: a Siamese encoder trained with the recipe's objectives. */
export async function trainTeacher(context: RunContext, step: TeacherStep, index: number): Promise<StepResult> {
  const base = context.recipeDirectory;
  const where = (objective: number) => `steps.${index}.objectives.${objective}.data`;
  const data = await Promise.all(
    step.objectives.map(async (objective, position) => {
      switch (objective.type) {
        case "classification":
          return { objective, rows: await readRows(objective.data, "labelled-pairs", where(position), base, context.log) };
        case "regression":
          return { objective, rows: await readScoredPairs(objective.data, where(position), base, context.log) };
        case "triplet":
          return { objective, rows: await readRows(objective.data, "triplets", where(position), base, context.log) };
      }
    }),
  );
  const textFields = { classification: ["premise", "hypothesis"], regression: ["sentence1", "sentence2"], triplet: ["anchor", "positive", "negative"] };
  const texts = function* () {
    for (const { objective, rows } of data) for (const row of rows) for (const field of textFields[objective.type]) yield (row as unknown as Record<string, string>)[field]!;
  };
  const encoder = await buildEncoder(step.model, texts, context.recipe.seed, context.resolver, { where: `steps.${index}.model` });
  const objectives: TrainingObjective[] = data.map(({ objective, rows }, position) => {
    switch (objective.type) {
      case "classification": {
        const pairs = (rows as RowOfKind["labelled-pairs"][]).map((row) => ({ sentence1: row.premise, sentence2: row.hypothesis, label: nliLabels.indexOf(row.label) }));
        return new ClassificationObjective(encoder, pairs, SoftmaxClassifier.initialize(encoder.dimension, nliLabels.length, context.recipe.seed + position));
      }
      case "regression":
        return new RegressionObjective(encoder, rows as Awaited<ReturnType<typeof readScoredPairs>>);
      case "triplet":
        return new TripletObjective(encoder, rows as RowOfKind["triplets"][], objective.margin);
    }
  });
  try {
    return await runTraining(context, step.name, encoder, objectives, step.training, step.evaluation);
  } finally {
    encoder.dispose();
  }
}
