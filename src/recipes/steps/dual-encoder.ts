import { DualEncoderTrainer, type DualEncoderRecord } from "../../train/dual-encoder.js";
import type { RunContext } from "../context.js";
import { readParallel } from "../data.js";
import { buildEncoder } from "../models.js";
import type { StepResult } from "../run-directory.js";
import { trainEncoder } from "./training.js";
import { z } from "zod";
import { dataSourceSchema } from "../../data/source.js";
import { maxMinutes, modelSchema, named, optimizerSchema, positive, taskSchema } from "../schema-parts.js";
import type { StepDescriptor } from "./descriptor.js";

const dualEncoderTraining = z
  .object({
    epochs: z.number().positive().default(1),
    maxSteps: positive.optional().describe("stop after this many steps (overrides epochs)"),
    maxMinutes: maxMinutes.optional(),
    batchSize: positive.min(2).default(64).describe("pairs per step: the in-batch negatives"),
    chunkSize: positive.default(8).describe("rows per forward pass (memory); gradient caching keeps every negative"),
    learningRate: z.number().positive().default(1e-4),
    warmupRatio: z.number().min(0).max(1).default(0.1),
    weightDecay: z.number().min(0).default(0.01),
    maxGradNorm: z.number().positive().default(1),
    evaluateEvery: positive.optional().describe("evaluate (and keep the best model) every N steps"),
    checkpointEvery: positive.default(100).describe("write a resumable checkpoint every N steps"),
    optimizer: optimizerSchema.optional(),
  })
  .strict();

const additiveMargin = z
  .object({
    margin: z.number().min(0).default(0.3).describe("subtracted from each true pair's cosine (LaBSE: 0.3)"),
    scale: z.number().positive().default(20).describe("multiplies the cosines before the softmax"),
    reduction: z
      .enum(["sum", "mean"])
      .default("sum")
      .describe('"sum": source→target plus target→source; "mean" halves it'),
  })
  .strict();

export const dualEncoderSchema = z
  .object({
    step: z.literal("dual-encoder"),
    ...named,
    model: modelSchema.describe("usually from: the pretrain step; pooling defaults to cls and normalize to true"),
    data: z.array(dataSourceSchema).min(1).describe("parallel sentences"),
    loss: additiveMargin.default(additiveMargin.parse({})),
    training: dualEncoderTraining.default(dualEncoderTraining.parse({})),
    evaluation: z.array(taskSchema).default([]),
  })
  .strict();

type DualEncoderStep = z.output<typeof dualEncoderSchema>;

/**
 * LaBSE's dual-encoder stage (Feng et al. 2020): one encoder shared by both languages, [CLS]
 * pooled and L2-normalised by default, trained on translation pairs with the additive-margin
 * softmax over in-batch negatives. Evaluated before, every N steps (keeping the best model)
 * and after training, checkpointed every M steps and on Ctrl-C like the other training
 * steps; the trained model goes to `models/<name>`.
 */
export async function dualEncoderStep(context: RunContext, step: DualEncoderStep, index: number): Promise<StepResult> {
  const pairs = (
    await Promise.all(
      step.data.map((spec, position) =>
        readParallel(spec, `steps.${index}.data.${position}`, context.recipeDirectory, context.log),
      ),
    )
  ).flat();
  const texts = function* () {
    for (const pair of pairs) {
      yield pair.source;
      yield pair.target;
    }
  };
  const model = { ...step.model, pooling: step.model.pooling ?? "cls", normalize: step.model.normalize ?? true };
  const encoder = await buildEncoder(model, texts, context.recipe.seed, context.resolver, {
    where: `steps.${index}.model`,
  });
  const { evaluateEvery, checkpointEvery, maxMinutes, ...training } = step.training;
  const trainer = new DualEncoderTrainer(encoder, pairs, { ...training, loss: step.loss, seed: context.recipe.seed });
  try {
    context.log(
      `${step.name}: ${pairs.length} translation pairs, ${training.batchSize} per step in chunks of ${training.chunkSize}`,
    );
    return await trainEncoder(
      context,
      step.name,
      encoder,
      trainer,
      { evaluateEvery, checkpointEvery, maxMinutes },
      step.evaluation,
      {
        record: (record: DualEncoderRecord) => ({
          epoch: record.epoch,
          objective: "additive-margin",
          loss: record.loss,
          learningRate: record.learningRate,
          gradientNorm: record.gradientNorm,
        }),
        describe: (record: DualEncoderRecord) => `loss ${record.loss.toFixed(4)}`,
      },
    );
  } finally {
    trainer.dispose();
    encoder.dispose();
  }
}

export const dualEncoderDescriptor: StepDescriptor<typeof dualEncoderSchema> = {
  step: "dual-encoder",
  schema: dualEncoderSchema,
  run: dualEncoderStep,
};
