import { Option, type Command } from "commander";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { loadSentenceEncoder, saveSentenceEncoder } from "../../io/encoder-checkpoint.js";
import { writeModelCard } from "../../io/model-card.js";
import { saveTfjsEncoder } from "../../io/tfjs/layout.js";
import { cardFactsFromRunModel } from "../../recipes/run-model-card.js";
import { verifyTfjsExport } from "../../io/tfjs/read-back.js";
import { onnxExportNote } from "../../io/onnx/export.js";
import { BabelbedError } from "../../util/errors.js";
import { startDevice } from "../device.js";
import { checkpointPageContent, parseLanguageCodes } from "../export-page.js";
import { deviceHelp, parseDevice, parsePositiveInteger, threadsHelp, type DeviceChoice } from "../options.js";

const exportFormats = ["sentence-transformers", "tfjs"] as const;

interface ExportFlags {
  checkpoint: string;
  output: string;
  format: (typeof exportFormats)[number];
  device: DeviceChoice;
  languages?: string[];
  threads?: number;
}

const example = `
Examples:
  babelbed export --checkpoint runs/quickstart/student --output student-st
  babelbed export --checkpoint runs/quickstart/student --output student-web --format tfjs --languages en,ja
  npx http-server student-web     # then open http://127.0.0.1:8080/ and embed sentences in the browser
`;

export function registerExport(program: Command): void {
  program
    .command("export")
    .description(
      "Write a model as a sentence-transformers directory, or as a TensorFlow.js folder with a page that embeds sentences in the browser.",
    )
    .requiredOption("--checkpoint <dir>", "a babelbed, sentence-transformers or Hugging Face model directory")
    .requiredOption(
      "--output <dir>",
      "the folder to write; an existing one is replaced whole once the new one is complete",
    )
    .addOption(
      new Option(
        "--format <format>",
        "sentence-transformers (Python loads it) or tfjs (model.json, shards, runtime, index.html)",
      )
        .choices(exportFormats)
        .default("sentence-transformers"),
    )
    .option(
      "--languages <codes>",
      "the model's languages (e.g. en,de): the model card's `language`, or the tfjs page's title and sample sentences",
      parseLanguageCodes,
    )
    .option("--device <device>", deviceHelp, parseDevice, "auto")
    .option("--threads <n>", threadsHelp, parsePositiveInteger)
    .addHelpText("after", example)
    .action(async (flags: ExportFlags) => exportModel(flags));
}

async function exportModel(flags: ExportFlags): Promise<void> {
  const checkpoint = path.resolve(flags.checkpoint);
  const output = path.resolve(flags.output);
  const stat = await fs.stat(checkpoint).catch(() => undefined);
  if (stat === undefined || !stat.isDirectory())
    throw new BabelbedError(`--checkpoint ${flags.checkpoint}: no such directory`);
  if (output === checkpoint || checkpoint.startsWith(output + path.sep)) {
    throw new BabelbedError(`--output ${flags.output}: would replace the checkpoint it is exported from`);
  }
  await startDevice(flags.device, false, flags.threads);
  const encoder = await loadSentenceEncoder(checkpoint);
  try {
    if (flags.format === "tfjs") {
      const summary = await saveTfjsEncoder(encoder, output, await checkpointPageContent(checkpoint, flags.languages));
      await verifyTfjsExport(encoder, output);
      const megabytes = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
      process.stderr.write(
        `exported ${flags.checkpoint} to ${output}: model.json, ${summary.shards.length} weight shards (${megabytes(summary.weightBytes)} MB), ` +
          `runtime (${megabytes(summary.runtimeBytes)} MB), index.html, read back and checked; serve the folder (npx http-server ${flags.output}) and open it in a browser\n`,
      );
    } else {
      await saveSentenceEncoder(encoder, output);
      process.stderr.write(`${await onnxExportNote(encoder, output)}\n`);
      // A model of a babelbed run gets its recipe and figures on the card; any other model the basics.
      const facts = (await cardFactsFromRunModel(checkpoint, flags.languages)) ?? {
        languages: flags.languages,
        baseModel: flags.checkpoint,
      };
      for (const warning of await writeModelCard(output, facts)) process.stderr.write(`warning: ${warning}\n`);
      process.stderr.write(
        `exported ${flags.checkpoint} to ${output} (sentence-transformers, with a model card, README.md)\n`,
      );
    }
  } finally {
    encoder.dispose();
  }
}
