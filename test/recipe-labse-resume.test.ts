import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { RunInterrupted } from "../src/recipes/context.js";
import { loadRecipe } from "../src/recipes/load.js";
import { runRecipe } from "../src/recipes/run.js";
import { useBackend } from "./helpers/backends.js";
import { repositoryRoot } from "./helpers/fixtures.js";

// A LaBSE recipe far smaller than recipes/ci/labse-tiny.yaml, run in this process: Ctrl-C
// (shouldStop) in the middle of pre-training and again in the middle of the dual encoder,
// each followed by --resume, must end with the summary of a run never stopped.
const datasets = path.join(repositoryRoot, "datasets");
const recipeText = `
name: labse-resume
seed: 7
device: wasm
steps:
  - step: pretrain
    name: pretrained
    model:
      fresh: { hiddenSize: 16, layers: 4, heads: 2, intermediateSize: 32, dropout: 0.1, vocabulary: { size: 400, lowercase: true, minFrequency: 1 } }
      maxSeqLength: 24
    data:
      - { kind: parallel, file: ${path.join(datasets, "en-de", "train.tsv")}, format: tsv, header: true, columns: { source: en, target: de }, limit: 60 }
    stages: [{ layers: 1, steps: 4 }, { layers: 2, steps: 4 }, { layers: 4, steps: 4 }]
    training: { batchSize: 8, learningRate: 1.0e-3, checkpointEvery: 3 }
  - step: dual-encoder
    name: labse
    model: { from: pretrained, pooling: mean }
    data:
      - { kind: parallel, file: ${path.join(datasets, "en-de", "train.tsv")}, format: tsv, header: true, columns: { source: en, target: de }, limit: 60 }
    training: { maxSteps: 8, batchSize: 16, chunkSize: 8, learningRate: 1.0e-3, evaluateEvery: 3, checkpointEvery: 2 }
    evaluation:
      - task: retrieval
        name: en-de
        data: { kind: parallel, file: ${path.join(datasets, "en-de", "test.tsv")}, format: tsv, header: true, columns: { source: en, target: de }, limit: 40 }
`;

let work: string;
let recipeFile: string;
before(async () => {
  await useBackend("wasm");
  work = await mkdtemp(path.join(tmpdir(), "babelbed-labse-resume-"));
  recipeFile = path.join(work, "labse-resume.yaml");
  await writeFile(recipeFile, recipeText);
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Stop (as Ctrl-C does) once `step` has logged `trainingStep` steps. */
function stopAt(step: string, trainingStep: number, lines: string[]) {
  let stop = false;
  return {
    progress: (line: string) => {
      if (line.startsWith(`${step}: step ${trainingStep}/`)) stop = true;
    },
    shouldStop: () => stop,
    log: (line: string) => lines.push(line),
  };
}

test("pre-training and the dual encoder stopped by Ctrl-C and resumed end as an uninterrupted run", async () => {
  const straight = await runRecipe(await loadRecipe(recipeFile), { output: path.join(work, "straight") });

  const output = path.join(work, "stopped");
  const lines: string[] = [];
  await assert.rejects(
    runRecipe(await loadRecipe(recipeFile), { output, ...stopAt("pretrained", 5, lines) }),
    RunInterrupted,
  );
  assert.deepEqual(
    await readdir(path.join(output, "checkpoints")),
    ["pretrained"],
    "Ctrl-C left a pre-training checkpoint",
  );
  const saved = JSON.parse(await readFile(path.join(output, "checkpoints", "pretrained", "trainer.json"), "utf8")) as {
    step: number;
  };
  assert.equal(saved.step, 5, "the checkpoint is of the step the run stopped after");

  await assert.rejects(
    runRecipe(await loadRecipe(recipeFile), { output, resume: true, ...stopAt("labse", 5, lines) }),
    RunInterrupted,
  );
  assert.ok(lines.includes("pretrained: resumed from step 5 of 12"), lines.join("\n"));
  assert.deepEqual(
    await readdir(path.join(output, "checkpoints")),
    ["labse"],
    "pre-training finished and cleared its checkpoint",
  );

  const resumed = await runRecipe(await loadRecipe(recipeFile), {
    output,
    resume: true,
    log: (line) => lines.push(line),
  });
  assert.ok(lines.includes("pretrained: done in an earlier run, skipped"));
  assert.ok(lines.includes("labse: resumed from step 5 of 8"), lines.join("\n"));
  assert.deepEqual(
    resumed.results.map(({ seconds: _, ...result }) => result),
    straight.results.map(({ seconds: _, ...result }) => result),
  );
  const [pretraining, dual] = resumed.results;
  assert.ok(pretraining!.after["mlm/loss_stage3"]! > 0 && dual!.before!["en-de/accuracy"] !== undefined);

  // Evaluation every 3 steps logged the metrics during training too.
  const metrics = (await readFile(path.join(output, "metrics.jsonl"), "utf8"))
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.deepEqual(
    metrics
      .filter((record) => record.step === "labse" && record.phase === "during")
      .map((record) => record.trainingStep),
    [3, 6],
  );
});
