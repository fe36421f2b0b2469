import type { Command } from "commander";
import { loadRecipe } from "../../recipes/load.js";
import { runRecipe } from "../../recipes/run.js";
import { RunInterrupted } from "../../recipes/context.js";
import { BabelbedError } from "../../util/files.js";
import { startDevice } from "../device.js";
import { deviceHelp, parseDevice, parsePositiveInteger, threadsHelp, type DeviceChoice } from "../options.js";
import { Reporter } from "../reporter.js";

interface RunFlags {
  device?: DeviceChoice;
  threads?: number;
  output?: string;
  resume?: boolean;
}

export function registerRun(program: Command): void {
  program
    .command("run")
    .description("Run a recipe: train a teacher, distill a student, evaluate, export. Ctrl-C saves a checkpoint.")
    .argument("<recipe>", "recipe file (YAML)")
    .option("--device <device>", `${deviceHelp} (default: the recipe's device)`, parseDevice)
    .option("--threads <n>", threadsHelp, parsePositiveInteger)
    .option("--output <dir>", "run directory (default: the recipe's output, else runs/<name>)")
    .option("--resume", "continue an interrupted run from its last checkpoint")
    .addHelpText("after", "\nExample:\n  babelbed run recipes/quickstart.yaml\n  babelbed run recipes/quickstart.yaml --resume\n")
    .action(async (file: string, flags: RunFlags) => runRecipeFile(file, flags));
}

/** What `babelbed run FILE` does; the wizard's "Run it now?" calls it too. */
export async function runRecipeFile(file: string, flags: RunFlags): Promise<void> {
  const loaded = await loadRecipe(file);
  const reporter = new Reporter();
  const device = await startDevice(flags.device ?? loaded.recipe.device, false, flags.threads);
  let stopRequested = false;
  const onInterrupt = () => {
    if (stopRequested) process.exit(130);
    stopRequested = true;
    reporter.log("stopping after this step: saving a checkpoint (Ctrl-C again to quit without one)");
  };
  process.on("SIGINT", onInterrupt);
  process.on("SIGTERM", onInterrupt);
  try {
    const outcome = await runRecipe(loaded, {
      output: flags.output,
      resume: flags.resume,
      log: (line) => reporter.log(line),
      progress: (line, done) => reporter.progress(line, done),
      shouldStop: () => stopRequested,
      device,
    });
    reporter.finish();
    process.stdout.write(`\n${outcome.table}\n\nrun directory: ${outcome.directory}\n`);
  } catch (error) {
    reporter.finish();
    if (error instanceof RunInterrupted) throw new BabelbedError(error.message, 1);
    throw error;
  } finally {
    process.off("SIGINT", onInterrupt);
    process.off("SIGTERM", onInterrupt);
  }
}
