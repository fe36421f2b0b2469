import { z } from "zod";
import { dataSourceSchema } from "../../data/source.js";
import { loadSentenceEncoder, saveSentenceEncoder } from "../../io/encoder-checkpoint.js";
import { SentenceEncoder } from "../../model/sentence-encoder.js";
import { fitWhitening, whiteningDense } from "../../model/whitening.js";
import { BabelbedError } from "../../util/errors.js";
import type { RunContext } from "../context.js";
import { readRows } from "../data.js";
import type { StepResult } from "../run-directory.js";
import { named, positive } from "../schema-parts.js";
import type { StepDescriptor } from "./descriptor.js";

export const whitenSchema = z
  .object({
    step: z.literal("whiten"),
    ...named,
    model: z.string().min(1).describe("the model to whiten: an earlier step or a model directory"),
    data: dataSourceSchema.describe(
      "kind sentences: the sentences whose vectors fix the mean and the whitening matrix",
    ),
    dimensions: positive
      .optional()
      .describe("keep the first k principal components (default: every one with non-zero variance)"),
  })
  .strict();

type WhitenStep = z.output<typeof whitenSchema>;

/** The vectors the whitening sees: the model's own, before any L2 normalisation (which comes after the Dense). */
export function withoutNormalize(encoder: SentenceEncoder): SentenceEncoder {
  return new SentenceEncoder({ ...encoder, normalize: false });
}

/**
 * BERT-whitening (Su et al. 2021): fit μ and W on the model's sentence vectors over `data` and
 * append them as a Dense module (weight Wᵀ, bias −μW, identity), in front of the model's
 * Normalize if it has one, so that the saved model is a plain sentence-transformers directory.
 */
export async function whitenStep(context: RunContext, step: WhitenStep, index: number): Promise<StepResult> {
  const started = performance.now();
  const rows = await readRows(step.data, "sentences", `steps.${index}.data`, context.recipeDirectory, context.log);
  const encoder = await loadSentenceEncoder(await context.resolver.resolve(step.model));
  try {
    if (encoder.flow !== undefined)
      throw new BabelbedError(
        `steps.${index}.model: ${step.model} ends in a BERT-flow; whiten the model the flow was fitted on`,
      );
    const vectors = await withoutNormalize(encoder).encode(
      rows.map((row) => row.text),
      { batchSize: 64 },
    );
    let fit: ReturnType<typeof fitWhitening>;
    try {
      fit = fitWhitening(vectors, { dimensions: step.dimensions });
    } catch (error) {
      throw new BabelbedError(`steps.${index}: ${(error as Error).message}`);
    }
    const whitened = new SentenceEncoder({ ...encoder, dense: [...encoder.dense, whiteningDense(fit)] });
    try {
      await saveSentenceEncoder(whitened, context.run.model(step.name));
    } finally {
      whitened.dense.at(-1)!.dispose();
    }
    const kept =
      fit.eigenvalues.slice(0, fit.outFeatures).reduce((sum, value) => sum + value, 0) /
      fit.eigenvalues.reduce((sum, value) => sum + value, 0);
    context.log(
      `${step.name}: whitened ${step.model} on ${rows.length} sentences, ${fit.inFeatures} → ${fit.outFeatures} dimensions (${(100 * kept).toFixed(1)}% of the variance kept)`,
    );
    return { step: step.name, kind: "whiten", after: {}, seconds: (performance.now() - started) / 1000 };
  } finally {
    encoder.dispose();
  }
}

export const whitenDescriptor: StepDescriptor<typeof whitenSchema> = {
  step: "whiten",
  schema: whitenSchema,
  run: whitenStep,
};
