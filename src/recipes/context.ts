import * as os from "node:os";
import * as path from "node:path";
import type { EngineName } from "../io/onnx/engine.js";
import type { RecipeSettings as Recipe } from "./schema-parts.js";
import type { ModelResolver } from "./models.js";
import type { StepEta } from "./progress.js";
import type { RunDirectory, RunState } from "./run-directory.js";

/** What every step of a run shares. */
export interface RunContext {
  recipe: Recipe;
  /** Relative paths in the recipe resolve against this. */
  recipeDirectory: string;
  run: RunDirectory;
  state: RunState;
  resolver: ModelResolver;
  cacheDirectory: string;
  resume: boolean;
  log(line: string): void;
  /** Progress of a training step, drawn on the terminal; `eta` feeds the recipe's ETA. */
  progress(line: string, done: boolean, eta?: StepEta): void;
  /**
   * Where a long activity without training steps stands ("student: teacher vectors 320/1200"),
   * called often: it replaces the current activity's line rather than adding lines.
   */
  activity(line: string): void;
  /** True once the user asked to stop (Ctrl-C). */
  shouldStop(): boolean;
  /** Evaluation data read during this run, by spec: held-out sets are scored several times. */
  evaluationRows: Map<string, unknown>;
  /** Where forward-only passes (evaluation, teacher vectors) run; default onnx where onnxruntime loads. */
  engine?: EngineName;
  /** onnxruntime's threads for those passes (`--threads`); default every core. */
  threads?: number;
}

export function defaultCacheDirectory(recipe: Recipe, recipeDirectory: string): string {
  if (recipe.cacheDirectory !== undefined) return path.resolve(recipeDirectory, recipe.cacheDirectory);
  return process.env.BABELBED_CACHE ?? path.join(os.homedir(), ".cache", "babelbed");
}

/** Raised when a run stops at the user's request, after its checkpoint is written. */
export class RunInterrupted extends Error {
  /** `trainingStep`: the training step the saved checkpoint holds. */
  constructor(
    readonly step: string,
    readonly trainingStep?: number,
  ) {
    super(
      `interrupted during step ${step}${trainingStep === undefined ? "" : ` at training step ${trainingStep}`}; a checkpoint was saved: run again with --resume to continue`,
    );
  }
}
