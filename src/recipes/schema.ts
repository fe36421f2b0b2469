import { z } from "zod";
import { recipeFields, type ModelSpec, type ObjectiveSpec, type TaskSpec, type TrainingSpec } from "./schema-parts.js";
import { stepSchemas, type RecipeStep } from "./steps/registry.js";

export { modelSchema, taskSchema, trainingSchema } from "./schema-parts.js";
export type { ModelSpec, ObjectiveSpec, RecipeStep, TaskSpec, TrainingSpec };

/** One member per registered step (`step:` tells which): see steps/registry.ts. */
export const stepSchema = z.discriminatedUnion("step", stepSchemas);

export const recipeSchema = z
  .object({
    ...recipeFields,
    steps: z.array(stepSchema).min(1),
  })
  .strict()
  .superRefine((recipe, context) => {
    const names = new Set<string>();
    recipe.steps.forEach((step, index) => {
      if (names.has(step.name))
        context.addIssue({
          code: "custom",
          path: ["steps", index, "name"],
          message: `step name "${step.name}" is used twice`,
        });
      names.add(step.name);
    });
  });

export type Recipe = z.infer<typeof recipeSchema>;
