import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { RunInterrupted } from "../src/recipes/context.js";
import { loadRecipe } from "../src/recipes/load.js";
import { runRecipe } from "../src/recipes/run.js";
import { TimeBudget } from "../src/train/time-budget.js";
import { trainLoop } from "../src/train/train-loop.js";
import { useBackend } from "./helpers/backends.js";
import { repositoryRoot } from "./helpers/fixtures.js";

/** A loop whose steps each take `milliseconds` of wall time and do nothing else. */
function slowLoop(totalSteps: number, milliseconds: number) {
  return {
    step: 0,
    totalSteps,
    trainStep() {
      const until = performance.now() + milliseconds;
      while (performance.now() < until);
      this.step += 1;
      return { step: this.step };
    },
  };
}

test("a time budget ends the loop early, as out-of-time, with a final checkpoint; without one it runs every step", async () => {
  const loop = slowLoop(1000, 10);
  const reasons: string[] = [];
  const budget = new TimeBudget(0.1);
  const outcome = await trainLoop(
    loop,
    { timeBudget: budget },
    { saveCheckpoint: async (reason) => void reasons.push(reason) },
  );
  assert.equal(outcome, "out-of-time");
  // Every step takes at least 10 ms, so 100 ms hold at most 10 of them (the last one crosses the line).
  assert.ok(loop.step >= 1 && loop.step <= 10, `stopped at step ${loop.step}`);
  assert.ok(budget.spent >= 0.1, `spent ${budget.spent}`);
  assert.deepEqual(reasons, ["final"]);

  const unlimited = slowLoop(20, 1);
  assert.equal(await trainLoop(unlimited, {}), "finished");
  assert.equal(unlimited.step, 20);
});

test("time spent before a resume counts: a budget already spent takes no step", async () => {
  const loop = slowLoop(100, 1);
  loop.step = 40;
  assert.equal(await trainLoop(loop, { timeBudget: new TimeBudget(5, 5) }), "out-of-time");
  assert.equal(loop.step, 40);
  const half = slowLoop(1000, 10);
  const budget = new TimeBudget(0.1, 0.05);
  await trainLoop(half, { timeBudget: budget });
  assert.ok(half.step >= 1 && half.step <= 5, `the remaining 50 ms took ${half.step} steps of at least 10 ms`);
});

// A teacher with far more steps than its maxMinutes allows, in this process.
const datasets = path.join(repositoryRoot, "datasets");
const recipe = (minutes: number) => `
name: time-budget
seed: 3
device: wasm
steps:
  - step: train-teacher
    name: teacher
    model:
      fresh: { hiddenSize: 16, layers: 1, heads: 2, intermediateSize: 32, dropout: 0.1, vocabulary: { size: 300, lowercase: true, minFrequency: 1 } }
      maxSeqLength: 24
    objectives:
      - type: regression
        data: { kind: scored-pairs, file: ${path.join(datasets, "en-sts", "train.tsv")}, format: tsv, header: true, scoreRange: [0, 5], limit: 64 }
    training: { maxSteps: 100000, batchSize: 8, learningRate: 1.0e-3, checkpointEvery: 2, maxMinutes: ${minutes} }
    evaluation:
      - task: sts
        name: en-sts
        data: { kind: scored-pairs, file: ${path.join(datasets, "en-sts", "test.tsv")}, format: tsv, header: true, scoreRange: [0, 5], limit: 40 }
`;

let work: string;
before(async () => {
  await useBackend("wasm");
  work = await mkdtemp(path.join(tmpdir(), "babelbed-time-budget-"));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

async function metricsOf(output: string): Promise<Record<string, unknown>[]> {
  return (await readFile(path.join(output, "metrics.jsonl"), "utf8"))
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

test("a recipe's maxMinutes stops its step on time, says so, then evaluates and saves the model", async () => {
  const file = path.join(work, "budget.yaml");
  await writeFile(file, recipe(0.02));
  const output = path.join(work, "budget");
  const lines: string[] = [];
  const progress: string[] = [];
  const summary = await runRecipe(await loadRecipe(file), {
    output,
    log: (line) => lines.push(line),
    progress: (line) => progress.push(line),
  });
  // The ETA is the budget's, not the 100,000 steps'.
  assert.ok(progress.length > 0 && progress.every((line) => /ETA [01]s$/.test(line)), progress.slice(0, 3).join("\n"));
  const stopped = lines.find((line) => line.startsWith("teacher: stopped at step "));
  assert.match(
    stopped ?? lines.join("\n"),
    /^teacher: stopped at step \d+ of 100000: its 0\.02 minutes \(maxMinutes\) are spent$/,
  );
  const event = (await metricsOf(output)).find((record) => record.event === "time-budget-spent");
  assert.ok(event !== undefined && (event.trainingStep as number) > 0 && (event.trainingStep as number) < 100000);
  assert.ok(summary.results[0]!.after["en-sts/spearman"] !== undefined, "evaluated after the early stop");
  assert.ok(
    (await stat(path.join(output, "models", "teacher", "config.json"))).isFile(),
    "the model trained so far is saved",
  );
  const report = await readFile(path.join(output, "report.html"), "utf8");
  assert.match(
    report,
    new RegExp(
      `teacher stopped at step ${event.trainingStep as number} of 100000: its 0\\.02 minutes \\(maxMinutes\\) were spent`,
    ),
  );
});

test("a checkpoint carries the time spent, and a resumed run goes on counting from it", async () => {
  const file = path.join(work, "resume.yaml");
  await writeFile(file, recipe(60));
  const output = path.join(work, "resume");
  let steps = 0;
  const stopAfterThree = { progress: () => void (steps += 1), shouldStop: () => steps >= 3, log: () => {} };
  await assert.rejects(runRecipe(await loadRecipe(file), { output, ...stopAfterThree }), RunInterrupted);
  const saved = JSON.parse(await readFile(path.join(output, "checkpoints", "teacher", "trainer.json"), "utf8")) as {
    step: number;
    trainingSeconds: number;
  };
  assert.equal(saved.step, 3);
  assert.ok(saved.trainingSeconds > 0 && saved.trainingSeconds < 60, `trainingSeconds ${saved.trainingSeconds}`);

  // The same run, resumed under a budget its first part already spent: no further step.
  await writeFile(file, recipe(saved.trainingSeconds / 60 / 2));
  const lines: string[] = [];
  await runRecipe(await loadRecipe(file), { output, resume: true, log: (line) => lines.push(line) });
  assert.ok(lines.includes("teacher: resumed from step 3 of 100000"), lines.join("\n"));
  assert.ok(
    lines.some((line) => line.startsWith("teacher: stopped at step 3 of 100000")),
    lines.join("\n"),
  );
});
