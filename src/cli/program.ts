import { Command, CommanderError, Help, type Option } from "commander";
import { BabelbedError } from "../util/errors.js";
import { packageVersion } from "../util/package.js";
import { registerEncode } from "./commands/encode.js";
import { registerEvaluate } from "./commands/evaluate.js";
import { registerExport } from "./commands/export.js";
import { registerInfo } from "./commands/info.js";
import { registerReport } from "./commands/report.js";
import { registerRun } from "./commands/run.js";
import { registerSegment } from "./commands/segment.js";
import { registerWizard } from "./commands/wizard.js";
import { setVerbose } from "./device.js";

/** Exit codes: 0 success, 1 a run that failed, 2 a usage or input error; a stopped run exits 130 (Ctrl-C) or 143 (SIGTERM). */
export const exitCodes = { success: 0, failed: 1, usage: 2 } as const;

export function buildProgram(): Command {
  const program = new Command("babelbed")
    .description("Teach sentence-embedding models new languages.")
    .version(packageVersion())
    .showHelpAfterError("(run with --help for usage)")
    .option(
      "--verbose",
      "say every step of the device choice (why each skipped device was skipped, the backend's notes)",
    )
    // Subcommands copy this when they are created: required options say so in every --help.
    .configureHelp({ optionDescription: markRequired })
    .hook("preAction", (command) => setVerbose(command.opts().verbose === true))
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

/** commander's description, "(required)" first for a mandatory option (its own default text stays). */
function markRequired(this: unknown, option: Option): string {
  const description = Help.prototype.optionDescription.call(this as Help, option);
  return option.mandatory ? `(required) ${description}` : description;
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
