import { loadSentenceEncoder } from "../../io/encoder-checkpoint.js";
import type { RunContext } from "../context.js";
import type { StepResult } from "../run-directory.js";
import { evaluateTasks } from "../tasks.js";
import { z } from "zod";
import { named, taskSchema } from "../schema-parts.js";
import type { StepDescriptor } from "./descriptor.js";

export const evaluateSchema = z
  .object({ step: z.literal("evaluate"), ...named, model: z.string().min(1), tasks: z.array(taskSchema).min(1) })
  .strict();

type EvaluateStep = z.output<typeof evaluateSchema>;

export async function evaluateStep(context: RunContext, step: EvaluateStep): Promise<StepResult> {
  const started = performance.now();
  const encoder = await loadSentenceEncoder(await context.resolver.resolve(step.model));
  try {
    const after = await evaluateTasks(context, encoder, step.tasks, step.name);
    await context.run.log({ step: step.name, phase: "evaluate", ...after });
    return { step: step.name, kind: "evaluate", after, seconds: (performance.now() - started) / 1000 };
  } finally {
    encoder.dispose();
  }
}

export const evaluateDescriptor: StepDescriptor<typeof evaluateSchema> = {
  step: "evaluate",
  schema: evaluateSchema,
  run: evaluateStep,
};
