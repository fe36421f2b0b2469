import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { RecipeProgress } from "../src/recipes/progress.js";
import type { RecipeStep } from "../src/recipes/schema.js";
import { cliPath } from "./helpers/cli.js";
import { repositoryRoot } from "./helpers/fixtures.js";
import { tinyRecipeText } from "./helpers/tiny-run.js";

let work: string;
before(async () => {
  work = await mkdtemp(path.join(tmpdir(), "babelbed-progress-"));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

const dataset = (name: string) => path.join(repositoryRoot, "datasets", name).replaceAll("\\", "/");

/** Three recipe steps: the tiny teacher (4 training steps), its STS check, then a "student" that trains until stopped. */
function threeStepRecipe(): string {
  return tinyRecipeText({
    name: "progress",
    steps: 4,
    extra: `  - step: train-teacher
    name: student
    model:
      fresh: { hiddenSize: 16, layers: 1, heads: 2, intermediateSize: 32, dropout: 0.1, vocabulary: { size: 300, lowercase: true } }
      pooling: mean
      maxSeqLength: 24
    objectives:
      - type: regression
        data: { kind: scored-pairs, file: ${dataset("en-sts/train.tsv")}, format: tsv, header: true, scoreRange: [0, 5] }
    training: { maxSteps: 100000, batchSize: 8, learningRate: 1.0e-3, checkpointEvery: 1000 }
`,
  });
}

test("the recipe's ETA counts what it knows: the running step, later steps' maxMinutes (≤), and names the rest", () => {
  let now = 0;
  const steps = [
    { step: "train-teacher", name: "teacher", training: {} },
    { step: "distill", name: "student", training: { maxMinutes: 2 } },
    { step: "evaluate", name: "check" },
  ] as unknown as RecipeStep[];
  const progress = new RecipeProgress(steps, () => now);
  assert.equal(progress.position(), "");
  progress.begin(0);
  now = 65_000;
  assert.equal(progress.position(), "1/3");
  assert.equal(progress.opening(), "recipe step 1 of 3, 1m05s elapsed, 2 more steps after this one");
  assert.equal(progress.summary({ seconds: 30 }), "recipe 1m05s elapsed, ETA ≤ 2m30s + 1 more step");
  progress.begin(1);
  assert.equal(progress.summary({ seconds: 3725 }), "recipe 1m05s elapsed, ETA 1h02m05s + 1 more step");
  progress.begin(2);
  assert.equal(progress.opening(), "recipe step 3 of 3, 1m05s elapsed");
  assert.equal(progress.summary({ seconds: 9 }), "recipe 1m05s elapsed, ETA 9s");
});

/** `babelbed run` with stderr a pipe: its lines, the exit code; SIGINT once the third step has trained `stopAt` steps. */
function runPiped(recipe: string, output: string, stopAt: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, "run", recipe, "--output", output, "--device", "wasm"], {
      cwd: repositoryRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    let sent = false;
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.resume();
    const poll = setInterval(async () => {
      const log = await readFile(path.join(output, "metrics.jsonl"), "utf8").catch(() => "");
      if (!sent && log.includes(`"step":"student","trainingStep":${stopAt},`)) {
        sent = true;
        child.kill("SIGINT");
      }
    }, 100);
    child.on("error", reject);
    child.on("close", (code) => {
      clearInterval(poll);
      resolve({ code, stderr });
    });
  });
}

test("redirected, a run's lines carry the recipe step and ETA, with no escape codes; SIGINT names the checkpoint's step", async () => {
  const recipe = path.join(work, "piped.yaml");
  await writeFile(recipe, threeStepRecipe());
  const output = path.join(work, "piped-run");
  const { code, stderr } = await runPiped(recipe, output, 3);
  assert.equal(code, 130, stderr);
  assert.ok(!stderr.includes("\u001b"), `no escape codes in redirected stderr: ${JSON.stringify(stderr)}`);
  assert.match(
    stderr,
    /^\[1\/3\] teacher: train-teacher · recipe step 1 of 3, \d+s elapsed, 2 more steps after this one$/m,
  );
  // The third step's maxSteps is timed at the teacher's rate (~); the evaluate step has no size.
  assert.match(stderr, /^\[1\/3\] teacher: step 4\/4 · .* · ETA 0s · recipe \d+s elapsed, ETA ~\S+ \+ 1 more step$/m);
  assert.match(stderr, /^\[2\/3\] check: evaluate · recipe step 2 of 3, \d+s elapsed, 1 more step after this one$/m);
  assert.match(stderr, /^\[3\/3\] student: train-teacher · recipe step 3 of 3, \d+s elapsed$/m);
  const stopped =
    /interrupted: checkpoint of step student at training step (\d+) saved; resume with `babelbed run (\S+) --output (\S+) --resume`/.exec(
      stderr,
    );
  assert.ok(stopped !== null, stderr);
  assert.deepEqual(stopped.slice(2), [recipe, output]);
  const trainer = JSON.parse(await readFile(path.join(output, "checkpoints", "student", "trainer.json"), "utf8")) as {
    step?: number;
  };
  assert.equal(String(trainer.step), stopped[1], "the message names the step the checkpoint holds");
});

const tmux = (() => {
  try {
    execFileSync("tmux", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

test("at a terminal (tmux): the recipe-level progress line, and Ctrl-C's message naming the checkpoint's training step, which stays on screen", {
  skip: tmux ? false : "tmux is not installed (apt-get install tmux): the pseudo-terminal test needs it",
}, async () => {
  const recipe = path.join(work, "terminal.yaml");
  await writeFile(recipe, threeStepRecipe());
  const output = path.join(work, "terminal-run");
  const socket = `babelbed-progress-${process.pid}`;
  const tmuxRun = (...args: string[]) => execFileSync("tmux", ["-L", socket, ...args], { encoding: "utf8" });
  const screen = () => tmuxRun("capture-pane", "-p", "-J", "-S", "-2000", "-t", "run");
  const waitFor = async (pattern: RegExp, timeout = 120_000) => {
    const started = Date.now();
    while (!pattern.test(screen())) {
      if (Date.now() - started > timeout) assert.fail(`waited ${timeout} ms for ${pattern}; the screen:\n${screen()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
  // A user's terminal: no CI (under CI=true ora and the reporter write plain lines even on a terminal).
  const command = [process.execPath, cliPath, "run", recipe, "--output", output, "--device", "wasm"]
    .map((part) => JSON.stringify(part))
    .join(" ");
  const shell = `cd ${JSON.stringify(repositoryRoot)} && env -u CI -u NO_COLOR -u FORCE_COLOR TERM=xterm-256color ${command}; echo RUN-EXIT=$?; sleep 120`;
  tmuxRun("new-session", "-d", "-s", "run", "-x", "220", "-y", "50", shell);
  try {
    await waitFor(/\[3\/3\] student: step \d+\/100000 · .* · ETA \S+ · recipe \d+s elapsed, ETA \S+$/m);
    tmuxRun("send-keys", "-t", "run", "C-c");
    await waitFor(/RUN-EXIT=/);
    const shown = screen();
    assert.match(shown, /RUN-EXIT=130/);
    const stopped =
      /interrupted: checkpoint of step student at training step (\d+) saved; resume with `babelbed run \S+ --output \S+ --resume`/.exec(
        shown,
      );
    assert.ok(stopped !== null, shown);
    // The progress line is not overwritten by what follows it: the last training step shown is the checkpoint's.
    assert.match(shown, new RegExp(`\\[3/3\\] student: step ${stopped[1]}/100000 `), shown);
    assert.match(shown, /stopping: a checkpoint is saved after the current training step/);
    assert.match(shown, /\[1\/3\] teacher: train-teacher · recipe step 1 of 3/);
    assert.ok(existsSync(path.join(output, "checkpoints", "student", "trainer.json")));
  } finally {
    try {
      tmuxRun("kill-server");
    } catch {
      // already gone
    }
  }
});
