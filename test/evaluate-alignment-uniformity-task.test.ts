import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { taskDescriptor } from "../src/evaluate/tasks/registry.js";
import { loadSentenceEncoder } from "../src/io/encoder-checkpoint.js";
import { parseRecipe } from "../src/recipes/load.js";
import { useBackend } from "./helpers/backends.js";
import { babelbed } from "./helpers/cli.js";
import { fixturesRoot, repositoryRoot, skipWithoutFixtures } from "./helpers/fixtures.js";

const model = path.join(fixturesRoot, "tiny-bert-uncased");
const stsFile = path.join(repositoryRoot, "datasets", "en-sts", "test.tsv");

test("the alignment-uniformity task's metrics say which way is better, and a recipe's threshold defaults to SimCSE's 4 of 5", () => {
  const task = taskDescriptor("alignment-uniformity");
  assert.deepEqual(Object.keys(task.metrics), ["alignment", "uniformity", "anisotropy", "positive_pairs"]);
  for (const name of ["alignment", "uniformity", "anisotropy"]) assert.equal(task.metrics[name]!.better, "lower");
  const recipe = parseRecipe(
    [
      "name: r",
      "steps:",
      "  - step: evaluate",
      "    name: e",
      "    model: m",
      "    tasks:",
      "      - {task: alignment-uniformity, name: au, data: {kind: scored-pairs, file: f.tsv, format: tsv, scoreRange: [0, 5]}}",
    ].join("\n"),
    "r.yaml",
  );
  assert.equal((recipe.steps[0] as unknown as { tasks: { threshold: number }[] }).tasks[0]!.threshold, 0.8);
});

test("babelbed evaluate --task alignment-uniformity equals a plain computation on the model's unit vectors", {
  skip: skipWithoutFixtures,
}, async (t) => {
  const work = await mkdtemp(path.join(tmpdir(), "babelbed-au-"));
  try {
    const output = path.join(work, "au.json");
    const result = await babelbed([
      "evaluate",
      "--model",
      model,
      "--task",
      "alignment-uniformity",
      "--data",
      stsFile,
      "--header",
      "--device",
      "js",
      "--output",
      output,
    ]);
    assert.equal(result.code, 0, result.stderr);
    const { metrics } = JSON.parse(await readFile(output, "utf8")) as { metrics: Record<string, number> };
    assert.match(result.stdout, /alignment/);

    // Independently: every row of the file, its distinct sentences, float64 sums over unit vectors.
    await useBackend("js");
    const rows = (await readFile(stsFile, "utf8"))
      .trim()
      .split("\n")
      .slice(1)
      .map((line) => line.split("\t"));
    const texts = [...new Set(rows.flatMap(([a, b]) => [a!, b!]))];
    const encoder = await loadSentenceEncoder(model);
    const vectors = (await encoder.encode(texts)).map((vector) => {
      const norm = Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));
      return Array.from(vector, (value) => value / norm);
    });
    encoder.dispose();
    const at = new Map(texts.map((text, index) => [text, vectors[index]!]));
    const squared = (x: number[], y: number[]) => x.reduce((sum, value, k) => sum + (value - y[k]!) ** 2, 0);
    const positives = rows.filter((row) => Number(row[2]) >= 4);
    const alignment = positives.reduce((sum, [a, b]) => sum + squared(at.get(a!)!, at.get(b!)!), 0) / positives.length;
    let kernel = 0;
    let cosine = 0;
    let pairs = 0;
    for (let i = 0; i < vectors.length; i++) {
      for (let j = i + 1; j < vectors.length; j++) {
        kernel += Math.exp(-2 * squared(vectors[i]!, vectors[j]!));
        cosine += vectors[i]!.reduce((sum, value, k) => sum + value * vectors[j]![k]!, 0);
        pairs += 1;
      }
    }
    t.diagnostic(
      `alignment ${metrics.alignment}, uniformity ${metrics.uniformity}, anisotropy ${metrics.anisotropy}, ${metrics.positive_pairs} positive pairs`,
    );
    assert.equal(metrics.positive_pairs, positives.length);
    assert.ok(positives.length > 0);
    assert.ok(Math.abs(metrics.alignment! - alignment) < 1e-6, `alignment ${metrics.alignment} vs ${alignment}`);
    assert.ok(
      Math.abs(metrics.uniformity! - Math.log(kernel / pairs)) < 1e-6,
      `uniformity ${metrics.uniformity} vs ${Math.log(kernel / pairs)}`,
    );
    assert.ok(
      Math.abs(metrics.anisotropy! - cosine / pairs) < 1e-6,
      `anisotropy ${metrics.anisotropy} vs ${cosine / pairs}`,
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
