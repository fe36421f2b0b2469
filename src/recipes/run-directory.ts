import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { acquireLock } from "../util/lock.js";
import { BabelbedError } from "../util/errors.js";
import { exists, readJsonFile, recoverSwaps, writeFileAtomic, writeJsonAtomic } from "../util/files.js";
import type { RecipeSettings as Recipe } from "./schema-parts.js";

/** Metrics of one step: evaluated before training and after it (or once, for an evaluate step). */
export interface StepResult {
  step: string;
  kind: string;
  before?: Record<string, number>;
  after: Record<string, number>;
  seconds: number;
}

/** What a run has finished, so `--resume` skips it; `before` holds a step's pre-training metrics once taken. */
export interface RunState {
  /** The folder's own marker: which recipe made it, so that nothing else is ever resumed or replaced. */
  recipe?: RecipeFingerprint;
  completed: StepResult[];
  started: Record<string, { before?: Record<string, number> }>;
}

/** Hashes of a resolved recipe: its settings (seed, name) and each step, in order. */
export interface RecipeFingerprint {
  name: string;
  settings: string;
  steps: [name: string, hash: string][];
}

/** How `open` treats a folder that already holds a run. */
export type OpenMode = "new" | "resume" | "restart";

const lockName = "run.lock";
/** Entries a run leaves before its marker exists: its lock and staged writes. */
const harmless = (name: string) => name === lockName || /\.tmp-\d+-\d+-[a-z0-9]+$/.test(name);

/**
 * The folder of one run: the resolved recipe, `metrics.jsonl` (every logged value with its step
 * and time), checkpoints, the models each step produced, and `summary.json`. `state.json` marks it
 * as a run of one recipe, and `run.lock` keeps a second process out while it runs.
 */
export class RunDirectory {
  private metricsHandle?: fs.FileHandle;
  private unlock?: () => Promise<void>;

  constructor(readonly root: string) {}

  get metricsFile(): string {
    return path.join(this.root, "metrics.jsonl");
  }

  private get stateFile(): string {
    return path.join(this.root, "state.json");
  }

  model(name: string): string {
    return path.join(this.root, "models", name);
  }

  checkpoint(name: string): string {
    return path.join(this.root, "checkpoints", name);
  }

  /**
   * Take the folder for `recipe`: an empty or new folder starts a run; one holding a run of the
   * same recipe continues with "resume" or is moved aside with "restart"; anything else is refused.
   * Nothing a user or an earlier run wrote is ever deleted.
   */
  async open(
    recipe: Recipe,
    source: string,
    mode: OpenMode,
    log: (line: string) => void = () => undefined,
  ): Promise<RunState> {
    const fingerprint = recipeFingerprint(recipe);
    await this.checkOwnership(mode);
    this.unlock = await acquireLock(path.join(this.root, lockName), `run directory ${this.root}`, log);
    try {
      let state = await this.readState();
      if (state !== undefined && mode === "restart") {
        await this.moveAside(log);
        state = undefined;
      } else if (state !== undefined && mode === "new") {
        throw new BabelbedError(
          `${this.root} already holds a run of recipe "${state.recipe!.name}": run again with --resume to continue it, or with --restart to move it aside and start over`,
        );
      }
      // Nothing else writes here now (the lock is ours): finish or remove what killed writers left.
      for (const line of await recoverSwaps(this.root)) log(line);
      if (state !== undefined) {
        checkSameRecipe(state.recipe!, fingerprint, this.stateFile);
      } else {
        state = { recipe: fingerprint, completed: [], started: {} };
        await this.saveState(state);
      }
      // The same recipe as the run's (checked above), up to its time budgets and where it runs.
      await writeFileAtomic(
        path.join(this.root, "recipe.resolved.yaml"),
        `# resolved from ${source}\n${stringify(recipe)}`,
      );
      this.metricsHandle = await fs.open(this.metricsFile, "a");
      return state;
    } catch (error) {
      await this.release();
      throw error;
    }
  }

  /** Refuse a folder babelbed did not make, before writing anything into it. */
  private async checkOwnership(mode: OpenMode): Promise<void> {
    const stat = await fs.stat(this.root).catch(() => undefined);
    if (stat !== undefined && !stat.isDirectory())
      throw new BabelbedError(`${this.root}: not a directory; the run directory must be a folder`);
    if (stat === undefined) {
      await fs.mkdir(this.root, { recursive: true });
      return;
    }
    const entries = (await fs.readdir(this.root)).filter((name) => !harmless(name));
    if (entries.length === 0) return;
    const state = (await exists(this.stateFile)) ? await readJsonFile<RunState>(this.stateFile) : undefined;
    if (state !== undefined && state.recipe?.settings === undefined) {
      throw new BabelbedError(
        `${this.root} holds a run of an earlier babelbed, whose state.json does not say which recipe made it; babelbed neither resumes nor replaces it: move it away, or choose another --output`,
      );
    }
    if (state?.recipe?.settings === undefined) {
      const flags = mode === "new" ? "" : ` (--${mode} only continues or replaces a run babelbed started there)`;
      throw new BabelbedError(
        `${this.root} is not empty and is not a babelbed run directory (it holds ${entries.slice(0, 3).join(", ")}${entries.length > 3 ? ", …" : ""}); choose another --output${flags}`,
      );
    }
  }

  private async readState(): Promise<RunState | undefined> {
    if (!(await exists(this.stateFile))) return undefined;
    const state = await readJsonFile<RunState>(this.stateFile);
    return state.recipe?.settings === undefined ? undefined : state;
  }

  /** --restart: the old run is renamed, never deleted; this process keeps the (new) folder locked. */
  private async moveAside(log: (line: string) => void): Promise<void> {
    const aside = `${this.root}.previous-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    await fs.rename(this.root, aside);
    await fs.mkdir(this.root);
    await this.unlock!().catch(() => undefined);
    await fs.rm(path.join(aside, lockName), { force: true });
    this.unlock = await acquireLock(path.join(this.root, lockName), `run directory ${this.root}`, log);
    log(`the previous run was moved to ${aside}`);
  }

  async saveState(state: RunState): Promise<void> {
    await writeJsonAtomic(this.stateFile, state);
  }

  /** Append one record; a line cut short by a crash is the only possible damage, and readers skip it. */
  async log(record: Record<string, unknown>): Promise<void> {
    await this.metricsHandle?.appendFile(`${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`);
  }

  async close(): Promise<void> {
    await this.metricsHandle?.close();
    this.metricsHandle = undefined;
  }

  /** Let another process in: after the last write (the report included). */
  async release(): Promise<void> {
    await this.close();
    await this.unlock?.();
    this.unlock = undefined;
  }
}

/**
 * Where a run runs and where its cache lives change no result, so they are left out of the hashes;
 * so is a step's `maxMinutes`, a wall-clock budget (already machine-dependent) that a resume may
 * extend or shorten: the resolved recipe then records the budget of the latest start.
 */
export function recipeFingerprint(recipe: Recipe): RecipeFingerprint {
  const { steps, device: _device, output: _output, cacheDirectory: _cache, ...settings } = recipe;
  const withoutBudget = (step: Recipe["steps"][number]) => {
    const training = (step as { training?: Record<string, unknown> }).training;
    if (training?.maxMinutes === undefined) return step;
    const { maxMinutes: _minutes, ...rest } = training;
    return { ...step, training: rest };
  };
  return {
    name: recipe.name,
    settings: hash(settings),
    steps: steps.map((step) => [step.name, hash(withoutBudget(step))]),
  };
}

function hash(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex").slice(0, 16);
}

/** JSON with object keys sorted, so that the hash does not depend on the order fields were written in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, item]) => item !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * --resume continues only the recipe that made the run: models and metrics of an edited recipe
 * would sit under a record that no longer describes them. The first changed step is named.
 */
function checkSameRecipe(stored: RecipeFingerprint, current: RecipeFingerprint, stateFile: string): void {
  const restart = "; run it with --restart to move the old run aside and start over, or give another --output";
  if (stored.settings !== current.settings) {
    throw new BabelbedError(
      `${stateFile}: the recipe's settings (name, seed) changed since this run began${restart}`,
      2,
    );
  }
  const length = Math.max(stored.steps.length, current.steps.length);
  for (let index = 0; index < length; index++) {
    const [was, now] = [stored.steps[index], current.steps[index]];
    if (was?.[0] === now?.[0] && was?.[1] === now?.[1]) continue;
    const what =
      now === undefined
        ? `step ${index + 1} ("${was![0]}") was removed`
        : was === undefined
          ? `step ${index + 1} ("${now[0]}") was added`
          : `step ${index + 1} ("${now[0]}") changed`;
    throw new BabelbedError(`${stateFile}: ${what} since this run began${restart}`, 2);
  }
}
