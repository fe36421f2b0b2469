import type { z } from "zod";
import type { StepDescriptor } from "./descriptor.js";
import { distillDescriptor } from "./distill.js";
import { dualEncoderDescriptor } from "./dual-encoder.js";
import { evaluateDescriptor } from "./evaluate.js";
import { exportDescriptor } from "./export.js";
import { flowDescriptor } from "./flow.js";
import { pretrainDescriptor } from "./pretrain.js";
import { trainTeacherDescriptor } from "./train-teacher.js";
import { whitenDescriptor } from "./whiten.js";

/**
 * The steps a recipe can name, in the order the schema lists them. Adding one: its file
 * (schema, run, descriptor), its test, and a line here.
 */
export const steps = [
  trainTeacherDescriptor,
  distillDescriptor,
  pretrainDescriptor,
  dualEncoderDescriptor,
  evaluateDescriptor,
  exportDescriptor,
  whitenDescriptor,
  flowDescriptor,
] as const;

/** The steps' schemas as a tuple, so that the recipe's type knows each step's fields. */
export const stepSchemas = steps.map((descriptor) => descriptor.schema) as unknown as SchemasOf<typeof steps>;

type SchemasOf<Steps extends readonly unknown[]> = {
  -readonly [K in keyof Steps]: Steps[K] extends { schema: infer Schema } ? Schema : never;
};

export type RecipeStep = z.output<(typeof steps)[number]["schema"]>;

export function stepDescriptor(step: string): StepDescriptor {
  const descriptor = steps.find((candidate) => candidate.step === step);
  if (descriptor === undefined) throw new Error(`no recipe step named ${step}`);
  return descriptor as unknown as StepDescriptor;
}
