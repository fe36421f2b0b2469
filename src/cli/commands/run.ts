import type { Command } from "commander";
import { loadRecipe } from "../../recipes/load.js";
import { runRecipe } from "../../recipes/run.js";
import { checkModelWidths } from "../../recipes/widths.js";
import { RunInterrupted } from "../../recipes/context.js";
import { RecipeProgress } from "../../recipes/progress.js";
import { BabelbedError } from "../../util/errors.js";
import { startDevice } from "../device.js";
import type { EngineName } from "../../io/onnx/engine.js";
import {
  deviceHelp,
  engineHelp,
  parseDevice,
  parseEngine,
  parsePositiveInteger,
  threadsHelp,
  type DeviceChoice,
} from "../options.js";
import { Reporter } from "../reporter.js";

interface RunFlags {
  device?: DeviceChoice;
  threads?: number;
  engine?: EngineName;
  output?: string;
  resume?: boolean;
  restart?: boolean;
}

export function registerRun(program: Command): void {
  program
    .command("run")
    .description("Run a recipe: train a teacher, distill a student, evaluate, export. Ctrl-C saves a checkpoint.")
    .argument("<recipe>", "recipe file (YAML)")
    .option("--device <device>", `${deviceHelp} (default: the recipe's device)`, parseDevice)
    .option("--threads <n>", threadsHelp, parsePositiveInteger)
    .option("--engine <engine>", `${engineHelp} (default: the recipe's engine)`, parseEngine)
    .option("--output <dir>", "run directory (default: the recipe's output, else runs/<name>)")
    .option("--resume", "continue an interrupted run from its last checkpoint")
    .option("--restart", "move the run already in the run directory aside (to DIR.previous-TIME) and start over")
    .addHelpText(
      "after",
      "\nExample:\n  babelbed run recipes/quickstart.yaml\n  babelbed run recipes/quickstart.yaml --resume\n",
    )
    .action(async (file: string, flags: RunFlags) => runRecipeFile(file, flags));
}

/** What `babelbed run FILE` does; the wizard's "Run it now?" calls it too. */
export async function runRecipeFile(file: string, flags: RunFlags): Promise<void> {
  if (flags.resume && flags.restart)
    throw new BabelbedError(
      "--resume and --restart exclude each other: continue the run, or move it aside and start over",
    );
  const loaded = await loadRecipe(file);
  // A teacher/student width mismatch otherwise shows only after the backend, the teacher and its vectors.
  await checkModelWidths(loaded.recipe, loaded.directory, file);
  const reporter = new Reporter();
  reporter.follow(new RecipeProgress(loaded.recipe.steps));
  const device = await startDevice(flags.device ?? loaded.recipe.device, false, flags.threads);
  let stopRequested = false;
  // 128 + the signal's number, as shells report it: 130 for Ctrl-C, 143 for SIGTERM.
  let exitCode = 130;
  const onInterrupt = (signal: NodeJS.Signals) => {
    if (stopRequested) process.exit(exitCode);
    stopRequested = true;
    exitCode = signal === "SIGTERM" ? 143 : 130;
    reporter.log("stopping: a checkpoint is saved after the current training step (Ctrl-C again to quit without one)");
  };
  process.on("SIGINT", onInterrupt);
  process.on("SIGTERM", onInterrupt);
  try {
    const outcome = await runRecipe(loaded, {
      output: flags.output,
      resume: flags.resume,
      restart: flags.restart,
      log: (line) => reporter.log(line),
      progress: (line, done, eta) => reporter.progress(line, done, eta),
      activity: (line) => reporter.activity(line),
      stepStarted: (index) => reporter.stepStarted(index),
      shouldStop: () => stopRequested,
      device,
      engine: flags.engine,
      threads: flags.threads,
    });
    reporter.finish();
    process.stdout.write(`\n${outcome.table}\n\nrun directory: ${outcome.directory}\n`);
  } catch (error) {
    reporter.finish();
    // The checkpoint is written by now.
    if (error instanceof RunInterrupted) throw new BabelbedError(interruptedMessage(error, file, flags), exitCode);
    throw error;
  } finally {
    process.off("SIGINT", onInterrupt);
    process.off("SIGTERM", onInterrupt);
  }
}

/** "interrupted: checkpoint of step student at training step 120 saved; resume with `babelbed run recipe.yaml --resume`" */
function interruptedMessage(error: RunInterrupted, file: string, flags: RunFlags): string {
  const at = error.trainingStep === undefined ? "" : ` at training step ${error.trainingStep}`;
  const output = flags.output === undefined ? "" : ` --output ${quoted(flags.output)}`;
  return `interrupted: checkpoint of step ${error.step}${at} saved; resume with \`babelbed run ${quoted(file)}${output} --resume\``;
}

/** A path as a shell takes it back: quoted only when it must be. */
function quoted(value: string): string {
  return /^[\w./@:+-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`;
}
