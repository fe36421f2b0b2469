import type { Command } from "commander";
import ora from "ora";
import { once } from "node:events";
import * as path from "node:path";
import { decodeLine, readLines, withoutCarriageReturn } from "../../data/lines.js";
import { loadSentenceEncoder } from "../../io/encoder-checkpoint.js";
import { writeNpy } from "../../io/npy.js";
import { BabelbedError } from "../../util/errors.js";
import { writeFileAtomic } from "../../util/files.js";
import { withForwardEngine, type EngineName } from "../../io/onnx/engine.js";
import {
  deviceHelp,
  engineHelp,
  parseDevice,
  parseEngine,
  parsePositiveInteger,
  threadsHelp,
  type DeviceChoice,
} from "../options.js";
import { startDevice } from "../device.js";

interface EncodeFlags {
  model: string;
  input: string;
  output: string;
  device: DeviceChoice;
  threads?: number;
  engine?: EngineName;
  batchSize: number;
}

export function registerEncode(program: Command): void {
  program
    .command("encode")
    .description("Embed one sentence per line of a UTF-8 file, writing JSON lines or .npy in input order.")
    .requiredOption("--model <dir>", "a babelbed, sentence-transformers or Hugging Face model directory")
    .requiredOption("--input <file>", "UTF-8 text, one sentence per line (empty lines are sentences too)")
    .requiredOption(
      "--output <file>",
      'JSON lines {"text", "embedding"}, or float32 [n, dim] when it ends in .npy; - writes JSON lines to stdout',
    )
    .option("--device <device>", deviceHelp, parseDevice, "auto")
    .option("--threads <n>", threadsHelp, parsePositiveInteger)
    .option("--engine <engine>", engineHelp, parseEngine)
    .option("--batch-size <n>", "sentences per forward pass", parsePositiveInteger, 32)
    .addHelpText(
      "after",
      "\nExamples:\n  babelbed encode --model runs/quickstart/student --input sentences.txt --output vectors.npy\n  babelbed encode --model runs/quickstart/student --input sentences.txt --output - | head -1\n",
    )
    .action(async (flags: EncodeFlags) => encode(flags));
}

const outputFormats = [".jsonl", ".json", ".npy"];

async function encode(flags: EncodeFlags): Promise<void> {
  const extension = path.extname(flags.output).toLowerCase();
  if (flags.output !== "-" && !outputFormats.includes(extension)) {
    throw new BabelbedError(
      `${flags.output}: --output must end in ${outputFormats.join(", ")} (JSON lines, or float32 .npy); ${extension || "no extension"} is not a format encode writes`,
    );
  }
  await startDevice(flags.device, false, flags.threads);
  const sentences = await readSentences(flags.input);
  const encoder = await loadSentenceEncoder(flags.model);
  const spinner = ora({ text: `encoding ${sentences.length} sentences`, stream: process.stderr }).start();
  try {
    const log = (line: string) => spinner.info(line).start();
    const vectors = await withForwardEngine(encoder, { engine: flags.engine, threads: flags.threads, log }, () =>
      encoder.encode(sentences, {
        batchSize: flags.batchSize,
        onProgress: (done, total) => {
          spinner.text = `encoding ${done}/${total} sentences`;
        },
      }),
    );
    const bad = vectors.findIndex((vector) => vector.some((value) => !Number.isFinite(value)));
    if (bad >= 0)
      throw new BabelbedError(
        `${flags.input}:${bad + 1}: the model gave a vector holding NaN or Infinity for this line; nothing was written`,
        1,
      );
    if (flags.output === "-") {
      // Line by line: a pipe takes them as they come, and no string of every vector is built.
      for (const [index, text] of sentences.entries())
        await writeLine(JSON.stringify({ text, embedding: Array.from(vectors[index]!) }));
    } else if (extension === ".npy") {
      await writeNpy(flags.output, vectors, encoder.dimension);
    } else {
      const lines = sentences.map((text, index) => JSON.stringify({ text, embedding: Array.from(vectors[index]!) }));
      await writeFileAtomic(flags.output, lines.join("\n") + (lines.length > 0 ? "\n" : ""));
    }
    spinner.succeed(
      `${sentences.length} sentences → ${flags.output === "-" ? "stdout" : flags.output} (dimension ${encoder.dimension})`,
    );
  } catch (error) {
    spinner.fail("encoding failed");
    throw error;
  } finally {
    encoder.dispose();
  }
}

/** One line to stdout, waiting when the pipe is full. */
async function writeLine(line: string): Promise<void> {
  if (!process.stdout.write(`${line}\n`)) await once(process.stdout, "drain");
}

/** Every line is a sentence, empty ones included; invalid UTF-8 names its line. */
export async function readSentences(file: string): Promise<string[]> {
  const sentences: string[] = [];
  try {
    for await (const { line, bytes } of readLines(file)) {
      const decoded = decodeLine(bytes);
      if (!decoded.ok) throw new BabelbedError(`${file}:${line}: ${decoded.reason}`);
      sentences.push(withoutCarriageReturn(decoded.text));
    }
  } catch (error) {
    if (error instanceof BabelbedError) throw error;
    throw new BabelbedError(
      `${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  return sentences;
}
