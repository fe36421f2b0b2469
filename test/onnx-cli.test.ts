import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { loadOnnxRuntime } from "../src/io/onnx/engine.js";
import { babelbed } from "./helpers/cli.js";
import { loadRecipe } from "../src/recipes/load.js";
import { fixturesRoot, maxAbsDifference, repositoryRoot, skipWithoutFixtures } from "./helpers/fixtures.js";

const runtime = await loadOnnxRuntime();
const skip =
  skipWithoutFixtures || (runtime instanceof Error ? `onnxruntime-node cannot load here: ${runtime.message}` : false);

test("babelbed encode --engine onnx and --engine tfjs give the same vectors within 1e-5", { skip }, async () => {
  const work = await mkdtemp(path.join(tmpdir(), "babelbed-onnx-cli-"));
  try {
    const input = path.join(work, "sentences.txt");
    await writeFile(
      input,
      "The cat sits on the mat.\nGrößere Häuser kosten mehr.\n\nA third, somewhat longer sentence than the others.\n",
      "utf8",
    );
    const model = path.join(fixturesRoot, "tiny-distilbert");
    const vectors: Record<string, number[][]> = {};
    for (const engine of ["onnx", "tfjs"]) {
      const output = path.join(work, `${engine}.jsonl`);
      const result = await babelbed([
        "encode",
        "--model",
        model,
        "--input",
        input,
        "--output",
        output,
        "--device",
        "wasm",
        "--engine",
        engine,
      ]);
      assert.equal(result.code, 0, result.stderr);
      assert.doesNotMatch(result.stderr, /engine: onnx unavailable/);
      vectors[engine] = (await readFile(output, "utf8"))
        .trimEnd()
        .split("\n")
        .map((line) => (JSON.parse(line) as { embedding: number[] }).embedding);
    }
    assert.equal(vectors.onnx!.length, 4);
    const difference = maxAbsDifference(vectors.onnx, vectors.tfjs);
    assert.ok(difference <= 1e-5, `engines differ by ${difference}`);
    const bad = await babelbed(["encode", "--model", model, "--input", input, "--output", "-", "--engine", "torch"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--engine.*expected one of onnx, tfjs/);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test("babelbed export writes onnx/model.onnx beside the sentence-transformers files and says it was read back", {
  skip,
}, async () => {
  const work = await mkdtemp(path.join(tmpdir(), "babelbed-onnx-cli-"));
  try {
    const output = path.join(work, "exported");
    const result = await babelbed([
      "export",
      "--checkpoint",
      path.join(fixturesRoot, "tiny-mpnet"),
      "--output",
      output,
      "--device",
      "wasm",
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /wrote onnx\/model\.onnx; read back through onnxruntime, hidden states within /);
    assert.ok(existsSync(path.join(output, "onnx", "model.onnx")));
    assert.ok(existsSync(path.join(output, "modules.json")));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test("a recipe's engine is onnx or tfjs; anything else names its line and field", async () => {
  // Beside quickstart.yaml, whose data paths are relative to its folder.
  const quickstart = await readFile(path.join(repositoryRoot, "recipes", "quickstart.yaml"), "utf8");
  const file = path.join(repositoryRoot, "recipes", `.engine-test-${process.pid}.yaml`);
  try {
    await writeFile(file, quickstart.replace("device: auto\n", "device: auto\nengine: tfjs\n"));
    assert.equal((await loadRecipe(file)).recipe.engine, "tfjs");
    await writeFile(file, quickstart.replace("device: auto\n", "device: auto\nengine: torch\n"));
    await assert.rejects(
      loadRecipe(file),
      (error: Error) => /:10:.*engine/s.test(error.message) && /onnx.*tfjs/s.test(error.message),
    );
  } finally {
    await rm(file, { force: true });
  }
});
