import { promises as fs } from "node:fs";
import * as path from "node:path";
import { loadSentenceEncoder, saveSentenceEncoder } from "../../io/encoder-checkpoint.js";
import { flowExportRefusal } from "../../io/flow-module.js";
import { writeModelCard } from "../../io/model-card.js";
import { BabelbedError } from "../../util/errors.js";
import { saveTfjsEncoder } from "../../io/tfjs/layout.js";
import { verifyTfjsExport } from "../../io/tfjs/read-back.js";
import { onnxExportNote } from "../../io/onnx/export.js";
import { cardFacts } from "../card-facts.js";
import type { RunContext } from "../context.js";
import { pageContent } from "../page-content.js";
import type { StepResult } from "../run-directory.js";
import { z } from "zod";
import { named } from "../schema-parts.js";
import type { StepDescriptor } from "./descriptor.js";

export const exportSchema = z
  .object({
    step: z.literal("export"),
    ...named,
    model: z.string().min(1),
    output: z.string().min(1).describe("directory, relative to the run directory"),
    format: z
      .enum(["sentence-transformers", "tfjs"])
      .default("sentence-transformers")
      .describe(
        "sentence-transformers (Python loads it) or tfjs (model.json, shards, runtime and a page that embeds in the browser)",
      ),
    languages: z
      .array(z.string().regex(/^[a-z]{2,3}$/, "an ISO 639 code such as en, de or ja"))
      .min(1)
      .optional()
      .describe(
        "the languages the model embeds: the model card's `language` (sentence-transformers) or the page's title and samples (tfjs); default for tfjs: the codes in the training data's file names",
      ),
  })
  .strict();

type ExportStep = z.output<typeof exportSchema>;

/**
 * Write a model as a sentence-transformers directory or a TensorFlow.js folder, then read it
 * back once to prove it loads (the tfjs one through the browser runtime's loader, its vectors
 * compared with the model's).
 */
export async function exportStep(context: RunContext, step: ExportStep, index: number): Promise<StepResult> {
  const started = performance.now();
  const output = path.resolve(context.run.root, step.output);
  const encoder = await loadSentenceEncoder(await context.resolver.resolve(step.model));
  try {
    if (encoder.flow !== undefined)
      throw new BabelbedError(`steps.${index}.model: ${step.model}: ${flowExportRefusal}`);
    if (step.format === "tfjs") {
      const summary = await saveTfjsEncoder(encoder, output, await pageContent(context, step));
      const difference = await verifyTfjsExport(encoder, output);
      context.log(
        `${step.name}: exported ${step.model} to ${output} (tfjs, ${summary.shards.length} weight shards; read back, vectors within ${difference.toExponential(1)})`,
      );
    } else {
      await saveSentenceEncoder(encoder, output);
      (await loadSentenceEncoder(output)).dispose();
      context.log(`${step.name}: ${await onnxExportNote(encoder, output)}`);
      const recipeYaml = await fs.readFile(path.join(context.run.root, "recipe.resolved.yaml"), "utf8");
      const facts = cardFacts(
        context.recipe,
        recipeYaml.replace(/^# resolved from .*\n/, ""),
        step.model,
        context.state.completed,
        step.languages,
      );
      for (const warning of await writeModelCard(output, facts)) context.log(`${step.name}: warning: ${warning}`);
      context.log(`${step.name}: exported ${step.model} to ${output} (with a model card, README.md)`);
    }
  } finally {
    encoder.dispose();
  }
  return { step: step.name, kind: "export", after: {}, seconds: (performance.now() - started) / 1000 };
}

export const exportDescriptor: StepDescriptor<typeof exportSchema> = {
  step: "export",
  schema: exportSchema,
  run: exportStep,
};
