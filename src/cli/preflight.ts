import { promises as fs } from "node:fs";
import * as path from "node:path";
import { inspectModelDirectory } from "../io/model-directory.js";
import { BabelbedError } from "../util/errors.js";

// Imports nothing that loads tfjs: the program and its backend take seconds to load, and a
// mistyped path must not wait for them.

/** The flags and arguments, per command, that name an existing model folder or file. */
const checks: Record<string, { models?: string[]; files?: string[]; firstArgumentIsFile?: boolean }> = {
  encode: { models: ["--model"], files: ["--input"] },
  // --task is checked by the evaluate command itself, against the task registry (the one list of
  // tasks), once the program has loaded and before any backend starts.
  evaluate: { models: ["--model", "--teacher"], files: ["--data", "--source", "--target"] },
  export: { models: ["--checkpoint"] },
  segment: { files: ["--input"] },
  run: { firstArgumentIsFile: true },
};

/**
 * Check the paths a command line names before the program loads: a model folder
 * that is not one, an input that cannot be read, an unknown `--task`. Throws the error the
 * command itself would give (exit 2); anything it cannot judge is left to the command.
 */
export async function preflight(argv: readonly string[]): Promise<void> {
  if (argv.some((token) => token === "--help" || token === "-h")) return;
  const commandIndex = argv.findIndex((token) => !token.startsWith("-"));
  const command = commandIndex < 0 ? undefined : checks[argv[commandIndex]!];
  if (command === undefined) return;
  const rest = argv.slice(commandIndex + 1);
  const value = (flag: string): string | undefined => {
    const index = rest.findIndex((token) => token === flag || token.startsWith(`${flag}=`));
    if (index < 0) return undefined;
    const token = rest[index]!;
    return token.includes("=") ? token.slice(flag.length + 1) : rest[index + 1];
  };
  const files = (command.files ?? []).map(value);
  if (command.firstArgumentIsFile && rest[0] !== undefined && !rest[0].startsWith("-")) files.push(rest[0]);
  for (const file of files) if (file !== undefined && file !== "-" && !file.startsWith("-")) await readable(file);
  for (const flag of command.models ?? []) {
    const dir = value(flag);
    if (dir !== undefined && !dir.startsWith("-")) await looksLikeModel(dir, flag);
  }
}

async function readable(file: string): Promise<void> {
  try {
    await fs.access(file, fs.constants.R_OK);
  } catch (error) {
    throw new BabelbedError(`${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}

/** A folder, and without modules.json (a sentence-transformers pipeline, checked when loaded) a Hugging Face model. */
async function looksLikeModel(dir: string, flag: string): Promise<void> {
  const stat = await fs.stat(dir).catch(() => undefined);
  // The words each command used before this check moved ahead of it: export names its flag.
  if (stat === undefined && flag === "--checkpoint") throw new BabelbedError(`--checkpoint ${dir}: no such directory`);
  if (!stat?.isDirectory()) throw new BabelbedError(`${dir}: not a directory`);
  const has = async (name: string) => (await fs.stat(path.join(dir, name)).catch(() => undefined)) !== undefined;
  if (await has("modules.json")) return;
  // The loader's words (io/sentence-transformers/pipeline.ts), then its checks of a Hugging Face folder.
  if (!(await has("config.json")))
    throw new BabelbedError(
      `${dir}: neither modules.json nor config.json; not a sentence-transformers or Hugging Face model directory`,
    );
  await inspectModelDirectory(dir);
}
