import * as tf from "@tensorflow/tfjs";
import * as path from "node:path";
import type { DeviceInfo } from "../device/index.js";
import type { EngineName } from "../io/onnx/engine.js";
import { writeRunReport } from "../report/index.js";
import { taskTypesOfRecipe } from "../report/task-types.js";
import { taskEntriesOfRecipe } from "../evaluate/metric-descriptions.js";
import { writeJsonAtomic } from "../util/files.js";
import { defaultCacheDirectory, RunInterrupted, type RunContext } from "./context.js";
import type { LoadedRecipe } from "./load.js";
import { modelResolver } from "./models.js";
import { checkRecipeInputs } from "./preflight.js";
import { RunDirectory, type StepResult } from "./run-directory.js";
import { stepDescriptor } from "./steps/registry.js";
import { summaryTable } from "./summary.js";

export interface RunOptions {
  /** Run directory; default the recipe's `output`, else runs/<name> under the working directory. */
  output?: string;
  resume?: boolean;
  /** Move a run already in the directory aside (never deleted) and start over. */
  restart?: boolean;
  log?: (line: string) => void;
  progress?: RunContext["progress"];
  activity?: RunContext["activity"];
  /** Step `index` of the recipe begins (not called for steps an earlier run finished). */
  stepStarted?: (index: number) => void;
  shouldStop?: () => boolean;
  /** The device selected for the run, recorded in metrics.jsonl for the report; default: the current tfjs backend. */
  device?: DeviceInfo;
  /** Engine for forward-only passes (`--engine`); default the recipe's `engine`, else onnx where it loads. */
  engine?: EngineName;
  /** Threads for the onnx engine (`--threads`, which also sizes the wasm device); default every core. */
  threads?: number;
}

export interface RunOutcome {
  directory: string;
  results: StepResult[];
  table: string;
}

/** Run a recipe's steps in order; with `resume`, finished steps are skipped and a checkpointed one continues. */
export async function runRecipe(loaded: LoadedRecipe, options: RunOptions = {}): Promise<RunOutcome> {
  const { recipe } = loaded;
  const root = path.resolve(
    options.output ?? (recipe.output ? path.resolve(loaded.directory, recipe.output) : path.join("runs", recipe.name)),
  );
  await checkRecipeInputs(loaded);
  const run = new RunDirectory(root);
  const state = await run.open(
    recipe,
    loaded.file,
    options.restart ? "restart" : options.resume ? "resume" : "new",
    options.log,
  );
  const completed = () => new Set(state.completed.map((result) => result.step));
  const context: RunContext = {
    recipe,
    recipeDirectory: loaded.directory,
    run,
    state,
    resolver: modelResolver((name) => run.model(name), completed, loaded.directory),
    cacheDirectory: defaultCacheDirectory(recipe, loaded.directory),
    resume: options.resume ?? false,
    log: options.log ?? (() => undefined),
    progress: options.progress ?? (() => undefined),
    activity: options.activity ?? (() => undefined),
    shouldStop: options.shouldStop ?? (() => false),
    evaluationRows: new Map(),
    engine: options.engine ?? recipe.engine,
    threads: options.threads,
  };
  const started = performance.now();
  await run.log({
    event: "run-start",
    recipe: recipe.name,
    resume: options.resume ?? false,
    device: options.device ?? { backend: tf.getBackend() },
  });
  let ending: { status: string; error?: string } = { status: "failed" };
  try {
    for (const [index, step] of recipe.steps.entries()) {
      if (completed().has(step.name)) {
        context.log(`${step.name}: done in an earlier run, skipped`);
        continue;
      }
      options.stepStarted?.(index);
      context.log(`${step.name}: ${step.step}`);
      const result = await stepDescriptor(step.step).run(context, step, index);
      state.completed.push(result);
      await run.saveState(state);
    }
    const table = summaryTable(state.completed, taskTypesOfRecipe(recipe), { tasks: taskEntriesOfRecipe(recipe) });
    await writeJsonAtomic(path.join(root, "summary.json"), { recipe: recipe.name, results: state.completed });
    ending = { status: "finished" };
    return { directory: root, results: state.completed, table };
  } catch (error) {
    ending = {
      status: error instanceof RunInterrupted ? "interrupted" : "failed",
      error: (error as Error).message ?? String(error),
    };
    throw error;
  } finally {
    await run.log({ event: "run-end", ...ending, seconds: (performance.now() - started) / 1000 });
    await run.close();
    await writeReport(root, context.log);
    await run.release();
  }
}

/** The report shows the run, stopped or finished; not being able to write it never fails the run. */
async function writeReport(root: string, log: (line: string) => void): Promise<void> {
  try {
    log(`report: ${await writeRunReport(root)}`);
  } catch (error) {
    log(`report.html not written: ${(error as Error).message ?? String(error)}`);
  }
}
