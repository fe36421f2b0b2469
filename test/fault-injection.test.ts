import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import * as path from "node:path";
import { test } from "node:test";
import { Random } from "../src/util/random.js";
import { cliPath } from "./helpers/cli.js";
import { repositoryRoot } from "./helpers/fixtures.js";
import { scratchDirectories } from "./helpers/scratch.js";
import { writeTinyRecipe } from "./helpers/tiny-run.js";

const scratch = scratchDirectories("faults");
const preload = path.join(repositoryRoot, "test", "helpers", "fault-injection.mjs");
const kills = Number(process.env.BABELBED_FAULT_KILLS ?? 20);

function babelbed(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", preload, cliPath, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stderr }));
  });
}

/** What a finished run must reproduce: summary.json without its wall times, and every model file's hash. */
async function outcome(dir: string): Promise<{ summary: unknown; models: Record<string, string> }> {
  const summary = JSON.parse(await readFile(path.join(dir, "summary.json"), "utf8"), (key, value: unknown) =>
    key === "seconds" ? undefined : value,
  );
  const models: Record<string, string> = {};
  const visit = async (relative: string) => {
    for (const entry of await readdir(path.join(dir, relative), { withFileTypes: true })) {
      const name = path.join(relative, entry.name);
      if (entry.isDirectory()) await visit(name);
      else
        models[name] = createHash("sha256")
          .update(await readFile(path.join(dir, name)))
          .digest("hex");
    }
  };
  await visit("models");
  return { summary, models };
}

/** Every finished step's model is in place, or beside it as a `.old-*` copy the next start puts back. */
async function recoverable(dir: string): Promise<void> {
  if (!existsSync(path.join(dir, "state.json"))) return;
  const state = JSON.parse(await readFile(path.join(dir, "state.json"), "utf8")) as {
    completed: { step: string; kind: string }[];
  };
  const models = existsSync(path.join(dir, "models")) ? await readdir(path.join(dir, "models")) : [];
  for (const { step, kind } of state.completed) {
    if (kind === "evaluate") continue;
    assert.ok(
      models.includes(step) || models.some((name) => name.startsWith(`${step}.old-`)),
      `model ${step} is missing and not recoverable (${models.join(", ")})`,
    );
  }
}

async function leftovers(dir: string): Promise<string[]> {
  const found: string[] = [];
  const visit = async (relative: string) => {
    for (const entry of await readdir(path.join(dir, relative), { withFileTypes: true })) {
      const name = path.join(relative, entry.name);
      if (/\.(tmp|old)-\d+-\d+/.test(entry.name)) found.push(name);
      else if (entry.isDirectory()) await visit(name);
    }
  };
  await visit("");
  return found;
}

test(`kill -9 at ${kills} chosen file operations, each run resumed: the result equals an uninterrupted run's`, async () => {
  const work = scratch();
  const recipe = await writeTinyRecipe(work);
  const env = { BABELBED_CACHE: path.join(work, "cache") };
  const reference = path.join(work, "reference");
  const countFile = path.join(work, "count");
  const straight = await babelbed(["run", recipe, "--output", reference, "--device", "wasm"], {
    ...env,
    BABELBED_FAULT_COUNT: countFile,
  });
  assert.equal(straight.code, 0, straight.stderr);
  const operations = Number(await readFile(countFile, "utf8"));
  assert.ok(operations > 30, `${operations} operations`);
  const expected = await outcome(reference);

  // One run, killed again and again: each start resumes the last and is killed at its own
  // operation number, from the lock and state files through checkpoints and model swaps to summary.json.
  const output = path.join(work, "killed");
  const random = new Random(11);
  const positions: number[] = [];
  for (let kill = 0; kill < kills; kill++) {
    const position = kill < 6 ? kill + 1 : 1 + random.integer(Math.ceil(operations / 3));
    positions.push(position);
    const result = await babelbed(
      ["run", recipe, "--output", output, "--device", "wasm", ...(kill === 0 ? [] : ["--resume"])],
      { ...env, BABELBED_FAULT_AT: String(position) },
    );
    assert.ok(
      result.signal === "SIGKILL" || result.code === 0,
      `kill ${kill} at operation ${position}: ${result.code} ${result.stderr}`,
    );
    if (existsSync(output)) await recoverable(output);
  }
  const resumed = await babelbed(["run", recipe, "--output", output, "--device", "wasm", "--resume"], env);
  assert.equal(resumed.code, 0, `after kills at ${positions.join(", ")}: ${resumed.stderr}`);
  assert.deepEqual(
    await outcome(output),
    expected,
    `after kills at operations ${positions.join(", ")} of ${operations}`,
  );
  assert.deepEqual(await leftovers(output), [], "no staged or replaced folder is left");
  assert.ok(!existsSync(path.join(output, "run.lock")));
});
