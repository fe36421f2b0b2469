import { Command, CommanderError } from "commander";
import { BabelbedError } from "../util/files.js";
import { packageVersion } from "../util/package.js";
import { registerEncode } from "./commands/encode.js";
import { registerEvaluate } from "./commands/evaluate.js";
import { registerExport } from "./commands/export.js";
import { registerInfo } from "./commands/info.js";
import { registerReport } from "./commands/report.js";
import { registerRun } from "./commands/run.js";
import { registerSegment } from "./commands/segment.js";
import { registerWizard } from "./commands/wizard.js";

/** Exit codes: 0 success, 1 a run that failed, 2 a usage or input error. */
export const exitCodes = { success: 0, failed: 1, usage: 2 } as const;

export function buildProgram(): Command {
  const program = new Command("babelbed")
    .description("Teach sentence-embedding models new languages.")
    .version(packageVersion())
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  registerInfo(program);
  registerEncode(program);
  registerEvaluate(program);
  registerExport(program);
  registerSegment(program);
  registerRun(program);
  registerWizard(program);
  registerReport(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: "user" });
    return exitCodes.success;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version "errors" are commander's way of stopping after printing.
      return error.exitCode === 0 ? exitCodes.success : exitCodes.usage;
    }
    if (error instanceof BabelbedError) {
      process.stderr.write(`babelbed: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`babelbed: ${(error as Error).message ?? String(error)}\n`);
    if (process.env.BABELBED_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
    return exitCodes.failed;
  }
}

