import { promises as fs } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { dataSourceSchema } from "../../data/source.js";
import { loadSentenceEncoder, saveSentenceEncoder } from "../../io/encoder-checkpoint.js";
import { flowFolder, saveFlowModule } from "../../io/flow-module.js";
import type { Dense } from "../../model/dense.js";
import { Flow } from "../../model/flow.js";
import { SentenceEncoder } from "../../model/sentence-encoder.js";
import { principalRotation } from "../../model/principal-rotation.js";
import { fitFlow } from "../../train/flow-fitting.js";
import { BabelbedError } from "../../util/errors.js";
import { swapDirectory, temporarySibling } from "../../util/files.js";
import type { RunContext } from "../context.js";
import { readRows } from "../data.js";
import type { StepResult } from "../run-directory.js";
import { named, positive } from "../schema-parts.js";
import type { StepDescriptor } from "./descriptor.js";
import { withoutNormalize } from "./whiten.js";

export const flowSchema = z
  .object({
    step: z.literal("flow"),
    ...named,
    model: z.string().min(1).describe("the model whose vectors the flow maps: an earlier step or a model directory"),
    data: dataSourceSchema.describe("kind sentences: the sentences whose vectors the flow is fitted on"),
    flow: z
      .object({
        steps: positive.default(4).describe("(ActNorm, 1×1, affine coupling) steps"),
        hiddenSize: positive.default(256).describe("width of each coupling's hidden layer"),
      })
      .strict()
      .default({ steps: 4, hiddenSize: 256 }),
    training: z
      .object({
        epochs: positive.default(10),
        batchSize: positive.default(64),
        learningRate: z.number().positive().default(1e-3).describe("Adam, as BERT-flow"),
      })
      .strict()
      .default({ epochs: 10, batchSize: 64, learningRate: 1e-3 }),
  })
  .strict();

type FlowStep = z.output<typeof flowSchema>;

/**
 * BERT-flow (Li et al. 2020): the model's vectors over `data`, rotated onto their principal axes
 * (`principalRotation`, a plain Dense module), then a Glow-style flow fitted by maximum
 * likelihood; the latent is the sentence vector. The rotation first, because mean-pooled
 * post-LayerNorm vectors have one direction of zero variance, along which the NLL falls without
 * bound; a rotation rather than whitening, so that what the flow adds stays apart from the whiten
 * step's result. Saved as the model directory plus the flow in its own folder (`babelbed_flow/`),
 * which babelbed's loader applies; sentence-transformers cannot load a flow, so `export` refuses
 * such a model and says why.
 */
export async function flowStep(context: RunContext, step: FlowStep, index: number): Promise<StepResult> {
  const started = performance.now();
  const rows = await readRows(step.data, "sentences", `steps.${index}.data`, context.recipeDirectory, context.log);
  const encoder = await loadSentenceEncoder(await context.resolver.resolve(step.model));
  let rotation: Dense | undefined;
  let flow: Flow | undefined;
  try {
    if (encoder.flow !== undefined)
      throw new BabelbedError(`steps.${index}.model: ${step.model} already ends in a BERT-flow`);
    if (rows.length < step.training.batchSize)
      throw new BabelbedError(
        `steps.${index}.data: ${rows.length} sentences are fewer than one batch of ${step.training.batchSize}`,
      );
    const base = withoutNormalize(encoder);
    rotation = principalRotation(
      await base.encode(
        rows.map((row) => row.text),
        { batchSize: 64 },
      ),
    );
    const rotated = new SentenceEncoder({ ...base, dense: [...encoder.dense, rotation] });
    const vectors = await rotated.encode(
      rows.map((row) => row.text),
      { batchSize: 64 },
    );
    flow = Flow.initialize(
      { dimension: rotation.outFeatures, steps: step.flow.steps, hiddenSize: step.flow.hiddenSize },
      context.recipe.seed,
    );
    const fitted = fitFlow(flow, vectors, {
      ...step.training,
      seed: context.recipe.seed,
      onStep: (done, loss) => context.progress(`${step.name}: flow step ${done} · NLL ${loss.toFixed(3)}`, false),
    });
    context.progress(`${step.name}: ${fitted.steps} flow steps`, true);
    // Written beside the target and swapped in whole, the flow folder with the model.
    const target = context.run.model(step.name);
    const staging = temporarySibling(target);
    await fs.rm(staging, { recursive: true, force: true });
    await saveSentenceEncoder(new SentenceEncoder({ ...encoder, dense: [...encoder.dense, rotation] }), staging);
    await saveFlowModule(flow, path.join(staging, flowFolder));
    await swapDirectory(staging, target);
    context.log(
      `${step.name}: flow fitted on ${rows.length} sentences, ${rotation.inFeatures} → ${rotation.outFeatures} dimensions, NLL per vector ${fitted.initialNll.toFixed(2)} → ${fitted.finalNll.toFixed(2)} nats`,
    );
    return { step: step.name, kind: "flow", after: {}, seconds: (performance.now() - started) / 1000 };
  } finally {
    encoder.dispose();
    rotation?.dispose();
    flow?.dispose();
  }
}

export const flowDescriptor: StepDescriptor<typeof flowSchema> = { step: "flow", schema: flowSchema, run: flowStep };
