import { objectiveDescriptor } from "../../train/objectives/registry.js";
import type { TrainingObjective } from "../../train/objectives/objective.js";
import type { RunContext } from "../context.js";
import { readNormalizedRows } from "../data.js";
import { buildEncoder } from "../models.js";
import type { StepResult } from "../run-directory.js";
import { runTraining } from "./training.js";
import { z } from "zod";
import { modelSchema, named, objectiveSchema, taskSchema, trainingSchema } from "../schema-parts.js";
import type { StepDescriptor } from "./descriptor.js";

export const trainTeacherSchema = z
  .object({
    step: z.literal("train-teacher"),
    ...named,
    model: modelSchema,
    objectives: z.array(objectiveSchema).min(1),
    training: trainingSchema.default(trainingSchema.parse({})),
    evaluation: z.array(taskSchema).default([]),
  })
  .strict();

type TeacherStep = z.output<typeof trainTeacherSchema>;

/** The English SBERT teacher: a Siamese encoder trained with the recipe's objectives. */
export async function trainTeacher(context: RunContext, step: TeacherStep, index: number): Promise<StepResult> {
  const data = await Promise.all(
    step.objectives.map(async (spec, position) => {
      const objective = objectiveDescriptor(spec.type);
      const where = `steps.${index}.objectives.${position}.data`;
      return {
        objective,
        spec,
        rows: await readNormalizedRows(spec.data, objective.rowKind, where, context.recipeDirectory, context.log),
      };
    }),
  );
  const texts = function* () {
    for (const { objective, rows } of data) for (const row of rows) yield* objective.texts(row);
  };
  const encoder = await buildEncoder(step.model, texts, context.recipe.seed, context.resolver, {
    where: `steps.${index}.model`,
  });
  const objectives: TrainingObjective[] = data.map(({ objective, spec, rows }, position) => {
    const { type: _type, data: _data, ...options } = spec;
    return objective.build(encoder, rows, options, { seed: context.recipe.seed, position });
  });
  try {
    return await runTraining(context, step.name, encoder, objectives, step.training, step.evaluation);
  } finally {
    encoder.dispose();
  }
}

export const trainTeacherDescriptor: StepDescriptor<typeof trainTeacherSchema> = {
  step: "train-teacher",
  schema: trainTeacherSchema,
  run: trainTeacher,
};
