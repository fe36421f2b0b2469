import { loadSentenceEncoder } from "../../io/encoder-checkpoint.js";
import { BabelbedError } from "../../util/errors.js";
import { DistillationObjective } from "../../train/objectives/distillation.js";
import type { RunContext } from "../context.js";
import { readParallel } from "../data.js";
import { buildEncoder } from "../models.js";
import type { StepResult } from "../run-directory.js";
import { teacherVectors } from "../tasks.js";
import { runTraining } from "./training.js";
import { z } from "zod";
import { dataSourceSchema } from "../../data/source.js";
import { modelSchema, named, taskSchema, trainingSchema } from "../schema-parts.js";
import type { StepDescriptor } from "./descriptor.js";

export const distillSchema = z
  .object({
    step: z.literal("distill"),
    ...named,
    teacher: z.string().min(1).describe("teacher directory or the name of an earlier step"),
    student: modelSchema,
    data: z.array(dataSourceSchema).min(1).describe("parallel sentences: source (the teacher's language) and target"),
    training: trainingSchema.default(trainingSchema.parse({})),
    evaluation: z.array(taskSchema).default([]),
  })
  .strict();

type DistillStep = z.output<typeof distillSchema>;

/**
 * Multilingual knowledge distillation (Reimers & Gurevych 2020): the teacher embeds the source
 * side once (cached on disk), the student learns to put both sides on those vectors.
 */
export async function distill(context: RunContext, step: DistillStep, index: number): Promise<StepResult> {
  const pairs = (
    await Promise.all(
      step.data.map((spec, position) =>
        readParallel(spec, `steps.${index}.data.${position}`, context.recipeDirectory, context.log),
      ),
    )
  ).flat();
  const teacherDirectory = await context.resolver.resolve(step.teacher);
  const teacher = await loadSentenceEncoder(teacherDirectory);
  const teacherDimension = teacher.dimension;
  let vectors: Float32Array[];
  try {
    context.log(`${step.name}: teacher vectors for ${pairs.length} source sentences`);
    // Minutes for a large corpus: the count shows it moving.
    const result = await teacherVectors(
      context,
      teacherDirectory,
      teacher,
      pairs.map((pair) => pair.source),
      (done, total) => context.activity(`${step.name}: teacher vectors ${done}/${total}`),
    );
    context.log(`${step.name}: ${result.computed} computed, ${pairs.length - result.computed} from the cache`);
    vectors = result.vectors;
  } finally {
    teacher.dispose();
  }
  const texts = function* () {
    for (const pair of pairs) {
      yield pair.source;
      yield pair.target;
    }
  };
  const where = `steps.${index}.student`;
  const student = await buildEncoder(step.student, texts, context.recipe.seed, context.resolver, {
    teacherDimension,
    where,
  });
  try {
    if (student.dimension !== teacherDimension) {
      throw new BabelbedError(
        `${where}.dense: the teacher's vectors have ${teacherDimension} dimensions and the student's ${student.dimension}; ` +
          `add "dense: teacher" to the student (a linear layer to the teacher's width)` +
          (step.student.dense === undefined ? "" : `, or make its outFeatures ${teacherDimension}`),
      );
    }
    const objective = new DistillationObjective(
      student,
      pairs.map((pair, position) => ({ source: pair.source, target: pair.target, teacher: vectors[position]! })),
    );
    return await runTraining(context, step.name, student, [objective], step.training, step.evaluation);
  } finally {
    student.dispose();
  }
}

export const distillDescriptor: StepDescriptor<typeof distillSchema> = {
  step: "distill",
  schema: distillSchema,
  run: distill,
};
