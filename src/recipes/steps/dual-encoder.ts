import { DualEncoderTrainer, type DualEncoderRecord } from "../../train/dual-encoder.js";
import type { RunContext } from "../context.js";
import { readParallel } from "../data.js";
import { buildEncoder } from "../models.js";
import type { RecipeStep } from "../schema.js";
import type { StepResult } from "../run-directory.js";
import { trainEncoder } from "./training.js";

type DualEncoderStep = Extract<RecipeStep, { step: "dual-encoder" }>;

/**
 * LaBSE's dual-encoder stage (Feng et al. 2020): one encoder shared by both languages, [CLS]
 * pooled and L2-normalised by default, trained on translation pairs with the additive-margin
 * softmax over in-batch negatives. Evaluated before, every N steps (keeping the best model)
 * and after training, checkpointed every M steps and on Ctrl-C like the other training
 * steps; the trained model goes to `models/<name>`.
 */
export async function dualEncoderStep(context: RunContext, step: DualEncoderStep, index: number): Promise<StepResult> {
  const pairs = (
    await Promise.all(step.data.map((spec, position) => readParallel(spec, `steps.${index}.data.${position}`, context.recipeDirectory, context.log)))
  ).flat();
  const texts = function* () {
    for (const pair of pairs) {
      yield pair.source;
      yield pair.target;
    }
  };
  const model = { ...step.model, pooling: step.model.pooling ?? "cls", normalize: step.model.normalize ?? true };
  const encoder = await buildEncoder(model, texts, context.recipe.seed, context.resolver, { where: `steps.${index}.model` });
  const { evaluateEvery, checkpointEvery, maxMinutes, ...training } = step.training;
  const trainer = new DualEncoderTrainer(encoder, pairs, { ...training, loss: step.loss, seed: context.recipe.seed });
  try {
    context.log(`${step.name}: ${pairs.length} translation pairs, ${training.batchSize} per step in chunks of ${training.chunkSize}`);
    return await trainEncoder(context, step.name, encoder, trainer, { evaluateEvery, checkpointEvery, maxMinutes }, step.evaluation, {
      record: (record: DualEncoderRecord) => ({ epoch: record.epoch, objective: "additive-margin", loss: record.loss, learningRate: record.learningRate, gradientNorm: record.gradientNorm }),
      describe: (record: DualEncoderRecord) => `loss ${record.loss.toFixed(4)}`,
    });
  } finally {
    trainer.dispose();
    encoder.dispose();
  }
}
