import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { loadSentenceEncoder } from "../src/io/encoder-checkpoint.js";
import { loadRecipe } from "../src/recipes/load.js";
import { repositoryRoot } from "./helpers/fixtures.js";

const recipe = path.join(repositoryRoot, "recipes", "ci", "labse-tiny.yaml");
// The CLI from its TypeScript sources, so the test never runs a stale dist/ build.
const cli = path.join(repositoryRoot, "src", "cli", "main.ts");
let work: string;

interface Summary {
  results: { step: string; kind: string; before?: Record<string, number>; after: Record<string, number> }[];
}

function babelbed(args: string[], output: string) {
  return new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", cli, ...args, "--output", output, "--device", "wasm"], {
      cwd: repositoryRoot,
      env: { ...process.env, BABELBED_CACHE: path.join(work, "cache") },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("exit", (code) => resolve({ code, stderr }));
  });
}

async function metrics(output: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(path.join(output, "metrics.jsonl"), "utf8");
  return text
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), "babelbed-labse-"));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

test("the LaBSE recipes parse", async () => {
  for (const file of ["recipes/ci/labse-tiny.yaml", "recipes/labse.yaml"]) {
    const loaded = await loadRecipe(path.join(repositoryRoot, file));
    assert.deepEqual(
      loaded.recipe.steps.slice(0, 2).map((step) => step.step),
      ["pretrain", "dual-encoder"],
      file,
    );
  }
});

test("LaBSE (ci size): MLM/TLM pre-training with progressive stacking, then a dual encoder that beats the untrained one on held-out retrieval", async () => {
  const output = path.join(work, "run");
  const result = await babelbed(["run", recipe], output);
  assert.equal(result.code, 0, result.stderr);

  const logged = await metrics(output);
  const pretraining = logged.filter((record) => record.step === "pretrained" && typeof record.loss === "number");
  assert.deepEqual(
    [...new Set(pretraining.map((record) => record.layers))],
    [1, 2, 4],
    "the encoder grew 1 → 2 → 4 layers",
  );
  assert.ok(
    pretraining.some((record) => record.objective === "tlm"),
    "TLM batches alternate with MLM ones",
  );
  const masked = pretraining.filter((record) => record.objective === "mlm");
  const first = mean(
    masked
      .filter((record) => record.stage === 1)
      .slice(0, 5)
      .map((record) => record.loss as number),
  );
  const last = mean(
    masked
      .filter((record) => record.stage === 3)
      .slice(-5)
      .map((record) => record.loss as number),
  );
  assert.ok(last < first - 0.3, `MLM loss falls across stages: ${first} → ${last}`);

  const summary = JSON.parse(await readFile(path.join(output, "summary.json"), "utf8")) as Summary;
  const labse = summary.results.find((entry) => entry.step === "labse")!;
  for (const metric of ["en-ja/accuracy", "en-de/accuracy"]) {
    assert.ok(
      labse.after[metric]! > labse.before![metric]!,
      `${metric}: ${labse.before![metric]} → ${labse.after[metric]}`,
    );
  }
  assert.ok(
    logged.some(
      (record) => record.step === "labse" && record.objective === "additive-margin" && typeof record.loss === "number",
    ),
    "dual-encoder losses are logged",
  );

  const exported = await loadSentenceEncoder(path.join(output, "labse"));
  try {
    assert.equal(exported.pooling, "mean", "the ci recipe pools by mean (see its comment)");
    assert.equal(exported.normalize, true);
    assert.equal(exported.transformer.config.numHiddenLayers, 4);
    const [english, japanese] = await exported.encode(["The coffee here is strong.", "ここのコーヒーは濃いです。"]);
    assert.equal(english!.length, 64);
    assert.ok(Math.abs(Math.hypot(...japanese!) - 1) < 1e-4, "vectors are L2-normalised");
  } finally {
    exported.dispose();
  }
});
