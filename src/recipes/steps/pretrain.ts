import { saveSentenceEncoder } from "../../io/encoder-checkpoint.js";
import { SentenceEncoder } from "../../model/sentence-encoder.js";
import type { Tokenizer } from "../../text/types.js";
import { Pretrainer, validateStages, type PretrainingRecord } from "../../train/pretraining.js";
import { BabelbedError } from "../../util/errors.js";
import type { RunContext } from "../context.js";
import { readParallel, readRows } from "../data.js";
import { buildEncoder } from "../models.js";
import type { StepResult } from "../run-directory.js";
import { clearCheckpoint, runCheckpointed } from "./checkpointed.js";
import { z } from "zod";
import { dataSourceSchema } from "../../data/source.js";
import { modelSchema, named, optimizerSchema, positive } from "../schema-parts.js";
import type { StepDescriptor } from "./descriptor.js";

const pretrainingSchema = z
  .object({
    batchSize: positive.default(32).describe("sequences per step (MLM and TLM steps alike)"),
    learningRate: z.number().positive().default(1e-4),
    warmupRatio: z.number().min(0).max(1).default(0.1).describe("share of each stage's steps spent warming up"),
    weightDecay: z.number().min(0).default(0.01),
    maxGradNorm: z.number().positive().default(1),
    maskProbability: z.number().gt(0).max(1).default(0.15).describe("share of the tokens to predict (BERT: 0.15)"),
    checkpointEvery: positive.default(100).describe("write a resumable checkpoint every N steps"),
    optimizer: optimizerSchema.optional(),
  })
  .strict();

export const pretrainSchema = z
  .object({
    step: z.literal("pretrain"),
    ...named,
    model: modelSchema
      .refine((model) => model.fresh !== undefined, { message: "pretrain starts from a fresh model" })
      .refine((model) => model.dense === undefined, {
        message: "pretrain trains the transformer only; give dense in the dual-encoder or distill step that follows",
      }),
    data: z
      .array(dataSourceSchema)
      .min(1)
      .describe(
        "kind sentences (MLM) and/or parallel (both sides for MLM, the pairs for TLM); MLM and TLM batches alternate",
      ),
    stages: z
      .array(z.object({ layers: positive, steps: positive }).strict())
      .min(1)
      .describe("progressive stacking: layer counts growing to the model's, e.g. L/4, L/2, L"),
    training: pretrainingSchema.default(pretrainingSchema.parse({})),
  })
  .strict();

type PretrainStep = z.output<typeof pretrainSchema>;

/** Losses averaged over this many steps of a task at the start and end of a stage, for the summary. */
const window = 5;

/**
 * LaBSE's encoder pre-training (Feng et al. 2020): a fresh encoder, its vocabulary trained on
 * the step's texts, learns MLM on single sentences and TLM on translation pairs while growing
 * by progressive stacking. It is saved with [CLS] pooling and L2 normalisation (unless the
 * model spec says otherwise), ready for the dual-encoder step.
 * It is checkpointed every N steps and on Ctrl-C, and `--resume` continues it at the depth of
 * the stage it stopped in.
 */
export async function pretrainStep(context: RunContext, step: PretrainStep, index: number): Promise<StepResult> {
  const started = performance.now();
  const sentences: string[] = [];
  const pairs: { source: string; target: string }[] = [];
  for (const [position, spec] of step.data.entries()) {
    const where = `steps.${index}.data.${position}`;
    if (spec.kind === "parallel")
      pairs.push(...(await readParallel(spec, where, context.recipeDirectory, context.log)));
    else if (spec.kind === "sentences")
      sentences.push(
        ...(await readRows(spec, "sentences", where, context.recipeDirectory, context.log)).map((row) => row.text),
      );
    else throw new BabelbedError(`${where}: pretrain reads data of kind sentences or parallel, got ${spec.kind}`);
  }
  const texts = function* () {
    yield* sentences;
    for (const pair of pairs) {
      yield pair.source;
      yield pair.target;
    }
  };
  const model = { ...step.model, pooling: step.model.pooling ?? "cls", normalize: step.model.normalize ?? true };
  // The encoder built here gives the tokenizer, configuration and modules; its weights are not trained.
  const template = await buildEncoder(model, texts, context.recipe.seed, context.resolver, {
    where: `steps.${index}.model`,
  });
  try {
    const config = template.transformer.config;
    try {
      validateStages(step.stages, config.numHiddenLayers);
    } catch (error) {
      throw new BabelbedError(`steps.${index}.stages: ${(error as Error).message}`);
    }
    // Word pieces without [CLS]/[SEP]; masking adds the special tokens of MLM or TLM.
    const pieces = (list: string[]) => template.tokenize(list).map((encoded) => encoded.inputIds.slice(1, -1));
    // A TLM sequence is [CLS] x [SEP] y [SEP]: each side gets half of what the length leaves.
    const half = Math.max(1, Math.floor((template.maxSeqLength - 3) / 2));
    const sources = pieces(pairs.map((pair) => pair.source));
    const targets = pieces(pairs.map((pair) => pair.target));
    const data = {
      sentences: [...pieces(sentences), ...sources, ...targets].filter((ids) => ids.length > 0),
      pairs: sources
        .map((source, row) => [source.slice(0, half), targets[row]!.slice(0, half)] as [number[], number[]])
        .filter(([x, y]) => x.length + y.length > 0),
    };
    context.log(
      `${step.name}: ${data.sentences.length} sentences for MLM, ${data.pairs.length} translation pairs for TLM, stages ${step.stages.map((stage) => `${stage.layers}×${stage.steps}`).join(" → ")}`,
    );
    const special = (template.tokenizer as Tokenizer).special;
    const { checkpointEvery, ...training } = step.training;
    const pretrainer = new Pretrainer(data, {
      config,
      stages: step.stages,
      special: { cls: special.cls, sep: special.sep, pad: special.pad, mask: special.mask, others: [special.unk] },
      ...training,
      seed: context.recipe.seed,
    });
    // The summary's stage losses need every step's loss, so the checkpoint keeps them too.
    let losses: StageLoss[] = [];
    try {
      await runCheckpointed(context, step.name, pretrainer, {
        schedule: { checkpointEvery },
        record: (record: PretrainingRecord) => {
          losses.push({ stage: record.stage, task: record.task, loss: record.loss });
          return {
            stage: record.stage,
            layers: record.layers,
            stageStep: record.stageStep,
            objective: record.task,
            loss: record.loss,
            learningRate: record.learningRate,
            gradientNorm: record.gradientNorm,
          };
        },
        describe: (record: PretrainingRecord) =>
          `stage ${record.stage} (${record.layers} layers) · ${record.task} loss ${record.loss.toFixed(4)}`,
        extra: () => ({ losses }),
        restored: (extra) => (losses = (extra.losses as StageLoss[] | undefined) ?? []),
      });
    } catch (error) {
      pretrainer.dispose();
      throw error;
    }
    const finalTransformer = pretrainer.takeTransformer();
    pretrainer.dispose();
    const encoder = new SentenceEncoder({
      tokenizer: template.tokenizer,
      transformer: finalTransformer,
      maxSeqLength: template.maxSeqLength,
      pooling: template.pooling,
      normalize: template.normalize,
      lowercase: template.lowercase,
    });
    try {
      await saveSentenceEncoder(encoder, context.run.model(step.name));
    } finally {
      encoder.dispose();
    }
    await clearCheckpoint(context, step.name);
    return {
      step: step.name,
      kind: "pretraining",
      ...stageLosses(losses),
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    template.dispose();
  }
}

/**
 * Summary metrics: each task's mean loss over the first steps of the first stage (`before`)
 * and over the last steps of every stage (`after`, the final stage under the plain name).
 */
interface StageLoss {
  stage: number;
  task: "mlm" | "tlm";
  loss: number;
}

function stageLosses(records: StageLoss[]): { before: Record<string, number>; after: Record<string, number> } {
  const before: Record<string, number> = {};
  const after: Record<string, number> = {};
  // A stage of a step or two may hold no step of one task: such means are left out.
  const put = (metrics: Record<string, number>, name: string, list: StageLoss[]) => {
    if (list.length > 0) metrics[name] = list.reduce((sum, record) => sum + record.loss, 0) / list.length;
  };
  const lastStage = Math.max(...records.map((record) => record.stage));
  for (const task of ["mlm", "tlm"] as const) {
    const inStage = (stage: number) => records.filter((record) => record.task === task && record.stage === stage);
    put(before, `${task}/loss`, inStage(1).slice(0, window));
    put(after, `${task}/loss`, inStage(lastStage).slice(-window));
    for (let stage = 1; stage <= lastStage; stage++)
      put(after, `${task}/loss_stage${stage}`, inStage(stage).slice(-window));
  }
  return { before, after };
}

export const pretrainDescriptor: StepDescriptor<typeof pretrainSchema> = {
  step: "pretrain",
  schema: pretrainSchema,
  run: pretrainStep,
};
