import type { z } from "zod";
import type { RunContext } from "../context.js";
import type { StepResult } from "../run-directory.js";

/** What every step spec has: `step` names its kind, `name` the step (and the model it makes). */
export interface StepSpecBase {
  step: string;
  name: string;
}

/**
 * One kind of recipe step: its name (`step:`), the zod schema of its spec (strict, with
 * `step: z.literal(name)`), and how it runs. `index` is its place in the recipe, for messages
 * that point at `steps.N.…`.
 */
export interface StepDescriptor<Schema extends z.ZodType<StepSpecBase> = z.ZodType<StepSpecBase>> {
  readonly step: string;
  readonly schema: Schema;
  run(context: RunContext, spec: z.output<Schema>, index: number): Promise<StepResult>;
}
