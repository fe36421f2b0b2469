import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { babelbedInProcess as babelbed, cliPath } from "./helpers/cli.js";
import { scratchDirectories } from "./helpers/scratch.js";
import { tinyRecipeText, writeTinyRecipe } from "./helpers/tiny-run.js";
import { loadRecipe } from "../src/recipes/load.js";
import { runRecipe } from "../src/recipes/run.js";

const scratch = scratchDirectories("run-directory");
const run = (recipe: string, output: string, ...flags: string[]) =>
  babelbed(["run", recipe, "--output", output, "--device", "wasm", ...flags]);

/** Every file under `dir` with the sha256 of its bytes (report.html and metrics.jsonl hold times, so they are left out). */
async function hashes(dir: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  const visit = async (relative: string) => {
    for (const entry of await readdir(path.join(dir, relative), { withFileTypes: true })) {
      const name = path.join(relative, entry.name);
      if (entry.isDirectory()) await visit(name);
      else if (!["report.html", "metrics.jsonl"].includes(name))
        result[name] = createHash("sha256")
          .update(await readFile(path.join(dir, name)))
          .digest("hex");
    }
  };
  await visit("");
  return result;
}

process.env.BABELBED_CACHE = path.join(scratch(), "cache");

test("a run directory is never wiped: a second run refuses (exit 2) naming --resume and --restart, and --restart moves the old run aside", async () => {
  const work = scratch();
  const recipe = await writeTinyRecipe(work);
  const output = path.join(work, "run");
  const first = await run(recipe, output);
  assert.equal(first.code, 0, first.stderr);
  const before = await hashes(output);
  assert.ok(before[path.join("models", "teacher", "model.safetensors")], "the teacher is saved");
  const state = JSON.parse(await readFile(path.join(output, "state.json"), "utf8")) as {
    recipe: { name: string; steps: unknown[] };
  };
  assert.equal(state.recipe.name, "tiny", "state.json marks the folder as a run of its recipe");

  const again = await run(recipe, output);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /already holds a run of recipe "tiny".*--resume.*--restart/);
  assert.deepEqual(await hashes(output), before, "nothing was deleted or rewritten");
  assert.ok(!existsSync(path.join(output, "run.lock")), "the lock is released");

  const restarted = await run(recipe, output, "--restart");
  assert.equal(restarted.code, 0, restarted.stderr);
  const aside = (await readdir(work)).filter((name) => name.startsWith("run.previous-"));
  assert.equal(aside.length, 1, "the old run was moved aside");
  assert.deepEqual(await hashes(path.join(work, aside[0]!)), before, "the old run is kept whole");
  assert.match(restarted.stderr, /previous run was moved to/);
  assert.equal(
    (await hashes(output))[path.join("models", "teacher", "model.safetensors")],
    before[path.join("models", "teacher", "model.safetensors")],
    "same seed, same model",
  );
  assert.equal((await run(recipe, output, "--resume", "--restart")).code, 2, "the two flags exclude each other");
});

test("run refuses a folder it did not make (exit 2) and deletes nothing in it, --resume included", async () => {
  const work = scratch({ "mine/models/my.bin": "precious", "mine/notes.txt": "mine" });
  const recipe = await writeTinyRecipe(work);
  for (const flags of [[], ["--resume"], ["--restart"]]) {
    const result = await run(recipe, path.join(work, "mine"), ...flags);
    assert.equal(result.code, 2, `${flags.join(" ")}: ${result.stderr}`);
    assert.match(result.stderr, /is not empty and is not a babelbed run directory/);
  }
  assert.equal(await readFile(path.join(work, "mine", "models", "my.bin"), "utf8"), "precious");
  assert.deepEqual(
    (await readdir(path.join(work, "mine"))).sort(),
    ["models", "notes.txt"],
    "not even a lock file was left",
  );
  await mkdir(path.join(work, "old-run"));
  await writeFile(path.join(work, "old-run", "state.json"), JSON.stringify({ completed: [], started: {} }));
  const legacy = await run(recipe, path.join(work, "old-run"), "--resume");
  assert.equal(legacy.code, 2);
  assert.match(legacy.stderr, /holds a run of an earlier babelbed/);
  await writeFile(path.join(work, "file"), "x");
  assert.equal((await run(recipe, path.join(work, "file"))).code, 2, "a file is not a run directory");
});

test("a second process is kept out by the lock, which names the first; a lock whose process is gone is taken over", async () => {
  const work = scratch();
  const recipe = await writeTinyRecipe(work);
  const output = path.join(work, "run");
  await mkdir(output);
  // This test process is alive: its lock holds.
  await writeFile(
    path.join(output, "run.lock"),
    JSON.stringify({ pid: process.pid, host: hostname(), started: "2026-01-01T00:00:00Z" }),
  );
  const blocked = await run(recipe, output);
  assert.equal(blocked.code, 2);
  assert.match(blocked.stderr, new RegExp(`in use by process ${process.pid} on ${hostname()}`));
  assert.ok(!existsSync(path.join(output, "state.json")), "the second process wrote nothing");

  const gone = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ["-e", ""]);
    child.on("exit", () => resolve(child.pid!));
  });
  await writeFile(
    path.join(output, "run.lock"),
    JSON.stringify({ pid: gone, host: hostname(), started: "2026-01-01T00:00:00Z" }),
  );
  const taken = await run(recipe, output);
  assert.equal(taken.code, 0, taken.stderr);
  assert.match(taken.stderr, new RegExp(`taking over the lock of process ${gone}`));
});

test("--resume refuses a recipe whose steps changed, naming the step, and keeps the record as it was", async () => {
  const work = scratch();
  const recipe = await writeTinyRecipe(work);
  const output = path.join(work, "run");
  assert.equal((await run(recipe, output)).code, 0);
  const resolved = await readFile(path.join(output, "recipe.resolved.yaml"), "utf8");
  await writeFile(recipe, tinyRecipeText().replace("learningRate: 1.0e-3", "learningRate: 2.0e-3"));
  const edited = await run(recipe, output, "--resume");
  assert.equal(edited.code, 2);
  assert.match(edited.stderr, /step 1 \("teacher"\) changed since this run began.*--restart/);
  await writeFile(recipe, tinyRecipeText({ seed: 8 }));
  assert.match((await run(recipe, output, "--resume")).stderr, /settings \(name, seed\) changed/);
  await writeFile(recipe, tinyRecipeText());
  assert.equal(
    await readFile(path.join(output, "recipe.resolved.yaml"), "utf8"),
    resolved,
    "the record still describes the models",
  );
  const same = await run(recipe, output, "--resume", "--device", "js");
  assert.equal(same.code, 0, `the same recipe (another device) resumes: ${same.stderr}`);
  assert.match(same.stderr, /teacher: done in an earlier run, skipped/);
});

test("a resume finishes a folder swap cut between its two renames, and removes what killed writers left", async () => {
  const work = scratch();
  const recipe = await writeTinyRecipe(work);
  const output = path.join(work, "run");
  assert.equal((await run(recipe, output)).code, 0);
  const before = await hashes(output);
  const teacher = path.join(output, "models", "teacher");
  // As a kill after `rename(target, target.old-*)` and before `rename(staging, target)` leaves it.
  await rename(teacher, `${teacher}.old-4242-1700000000000`);
  await mkdir(`${teacher}.tmp-4242-1700000000001-abc123`);
  await writeFile(`${teacher}.tmp-4242-1700000000001-abc123/model.safetensors`, "half");
  await writeFile(path.join(output, "state.json.tmp-4242-1700000000002-def456"), "{");
  const resumed = await run(recipe, output, "--resume");
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /restored from an interrupted replacement/);
  assert.deepEqual(await hashes(output), before, "the model is back and every leftover is gone");
});

test("a reader that closes the pipe early does not stop a run; Ctrl-C exits 130 after its checkpoint", async () => {
  const work = scratch();
  const recipe = await writeTinyRecipe(work, { steps: 400 });
  const output = path.join(work, "run");
  const child = spawn(process.execPath, [cliPath, "run", recipe, "--output", output, "--device", "wasm"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: process.env,
  });
  // Both readers go away at once, as `babelbed run … 2>&1 | head -0` does.
  child.stdout.destroy();
  child.stderr.destroy();
  let interrupted = false;
  const poll = setInterval(async () => {
    const log = await readFile(path.join(output, "metrics.jsonl"), "utf8").catch(() => "");
    if (!interrupted && log.includes('"trainingStep":3,')) {
      interrupted = true;
      child.kill("SIGINT");
    }
  }, 100);
  const code = await new Promise<number | null>((resolve) => child.on("exit", (exitCode) => resolve(exitCode)));
  clearInterval(poll);
  assert.ok(interrupted, "the run went on training with no reader");
  assert.equal(code, 130);
  assert.ok(existsSync(path.join(output, "checkpoints", "teacher", "trainer.json")), "the checkpoint was saved");
  assert.match(await readFile(path.join(output, "metrics.jsonl"), "utf8"), /"status":"interrupted"/);
});

test("SIGTERM stops a run after its checkpoint too, with exit 143, and releases the lock", async () => {
  const work = scratch();
  const recipe = await writeTinyRecipe(work, { steps: 400 });
  const output = path.join(work, "run");
  let sent = false;
  // The signal goes to this process, where `babelbed run` runs: its handler is installed once training logs.
  const poll = setInterval(async () => {
    const log = await readFile(path.join(output, "metrics.jsonl"), "utf8").catch(() => "");
    if (!sent && log.includes('"trainingStep":3,')) {
      sent = true;
      process.kill(process.pid, "SIGTERM");
    }
  }, 50);
  const stopped = await run(recipe, output).finally(() => clearInterval(poll));
  assert.ok(sent);
  assert.equal(stopped.code, 143, stopped.stderr);
  assert.match(
    stopped.stderr,
    /interrupted: checkpoint of step teacher at training step \d+ saved; resume with `babelbed run .* --resume`/,
  );
  assert.ok(existsSync(path.join(output, "checkpoints", "teacher", "trainer.json")));
  assert.ok(!existsSync(path.join(output, "run.lock")), "the lock is released");
});

test("two runs started into one folder at once: one runs, the other is refused naming it, and the record is one recipe's", async () => {
  const work = scratch();
  const first = await writeTinyRecipe(work, { name: "first" }, "first.yaml");
  const second = await writeTinyRecipe(work, { name: "second", seed: 9 }, "second.yaml");
  const output = path.join(work, "run");
  const outcomes = await Promise.allSettled([
    runRecipe(await loadRecipe(first), { output }),
    runRecipe(await loadRecipe(second), { output }),
  ]);
  const finished = outcomes.filter((outcome) => outcome.status === "fulfilled");
  const refused = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
  assert.equal(finished.length, 1);
  assert.equal(refused.length, 1);
  assert.match(String(refused[0]!.reason), new RegExp(`in use by process ${process.pid} on `));
  const winner = outcomes[0]!.status === "fulfilled" ? "first" : "second";
  assert.equal(JSON.parse(await readFile(path.join(output, "summary.json"), "utf8")).recipe, winner);
  assert.match(await readFile(path.join(output, "recipe.resolved.yaml"), "utf8"), new RegExp(`^name: ${winner}$`, "m"));
});
