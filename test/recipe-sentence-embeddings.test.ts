import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { loadSentenceEncoder, saveSentenceEncoder } from "../src/io/encoder-checkpoint.js";
import { saveTfjsEncoder } from "../src/io/tfjs/layout.js";
import { Flow } from "../src/model/flow.js";
import { SentenceEncoder } from "../src/model/sentence-encoder.js";
import { fitWhitening } from "../src/model/whitening.js";
import { principalRotation } from "../src/model/principal-rotation.js";
import { fitFlow } from "../src/train/flow-fitting.js";
import { BabelbedError } from "../src/util/errors.js";
import { useBackend } from "./helpers/backends.js";
import { repositoryRoot } from "./helpers/fixtures.js";

const recipe = path.join(repositoryRoot, "recipes", "ci", "sentence-embeddings-tiny.yaml");
const cli = path.join(repositoryRoot, "bin", "babelbed.js");
let work: string;
let output: string;
let run: { code: number | null; stderr: string };

function babelbed(args: string[]) {
  return new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [cli, ...args, "--device", "wasm"], {
      env: { ...process.env, BABELBED_CACHE: path.join(work, "cache") },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("exit", (code) => resolve({ code, stderr }));
  });
}

/** The sentences the CI recipe fits whitening and the flow on (datasets/en-sts/train.tsv, column sentence2). */
async function fittingSentences(): Promise<string[]> {
  const lines = (await readFile(path.join(repositoryRoot, "datasets", "en-sts", "train.tsv"), "utf8"))
    .trim()
    .split("\n")
    .slice(1);
  return lines.map((line) => line.split("\t")[1]!);
}

/** Largest |mean| and |cov − I| (covariance with n − 1, as the fit) of the vectors. */
function whiteness(vectors: Float32Array[]): { mean: number; covariance: number } {
  const n = vectors.length;
  const d = vectors[0]!.length;
  const mean = new Float64Array(d);
  for (const vector of vectors) for (let j = 0; j < d; j++) mean[j] += vector[j]! / n;
  let covariance = 0;
  for (let a = 0; a < d; a++) {
    for (let b = 0; b < d; b++) {
      let sum = 0;
      for (const vector of vectors) sum += (vector[a]! - mean[a]!) * (vector[b]! - mean[b]!);
      covariance = Math.max(covariance, Math.abs(sum / (n - 1) - (a === b ? 1 : 0)));
    }
  }
  return { mean: Math.max(...Array.from(mean, Math.abs)), covariance };
}

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), "babelbed-sentence-embeddings-"));
  output = path.join(work, "run");
  run = await babelbed(["run", recipe, "--output", output]);
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

test("the sentence-embeddings recipe (ci size) runs every row: STS and alignment, uniformity, anisotropy for each, in the summary", async () => {
  assert.equal(run.code, 0, run.stderr);
  const { results } = JSON.parse(await readFile(path.join(output, "summary.json"), "utf8")) as {
    results: { step: string; after: Record<string, number> }[];
  };
  const row = (step: string) => results.find((result) => result.step === step)!.after;
  for (const step of ["bert-avg", "whitening", "whitening-8", "flow", "simcse", "simcse-supervised", "sbert"]) {
    const metrics = row(step);
    assert.ok(Math.abs(metrics["sts/spearman"]!) <= 1, `${step}: spearman ${metrics["sts/spearman"]}`);
    assert.ok(metrics["au/alignment"]! >= 0 && metrics["au/alignment"]! <= 4, `${step}: alignment`);
    assert.ok(metrics["au/uniformity"]! >= -4 && metrics["au/uniformity"]! <= 0, `${step}: uniformity`);
    assert.ok(Math.abs(metrics["au/anisotropy"]!) <= 1, `${step}: anisotropy`);
    assert.equal(metrics["au/positive_pairs"], row("bert-avg")["au/positive_pairs"]);
  }
  // Mean-pooled vectors of a barely trained BERT all point one way; whitening and the flow undo that.
  assert.ok(row("bert-avg")["au/anisotropy"]! > 0.5, `bert-avg anisotropy ${row("bert-avg")["au/anisotropy"]}`);
  for (const step of ["whitening", "whitening-8", "flow"])
    assert.ok(row(step)["au/anisotropy"]! < 0.1, `${step} anisotropy ${row(step)["au/anisotropy"]}`);
  assert.match(run.stderr, /whitened-8: whitened pretrained on 300 sentences, 32 → 8 dimensions/);
  assert.match(run.stderr, /flowed: flow fitted on 300 sentences, 32 → 31 dimensions/);
});

test("a whitened model, as the step saves it and as exported for sentence-transformers, gives white vectors on its fitting data, with and without dimensions", async (t) => {
  assert.equal(run.code, 0, run.stderr);
  await useBackend("wasm");
  const sentences = await fittingSentences();
  for (const [directory, width] of [
    ["models/whitened", 31],
    ["whitened-export", 31],
    ["models/whitened-8", 8],
  ] as const) {
    const encoder = await loadSentenceEncoder(path.join(output, directory));
    const vectors = await encoder.encode(sentences);
    encoder.dispose();
    const measured = whiteness(vectors);
    t.diagnostic(
      `${directory}: ${width} dimensions, max |mean| ${measured.mean.toExponential(2)}, max |cov − I| ${measured.covariance.toExponential(2)}`,
    );
    assert.equal(vectors[0]!.length, width);
    assert.ok(measured.mean < 1e-3, `${directory}: max |mean| ${measured.mean}`);
    assert.ok(measured.covariance < 1e-2, `${directory}: max |cov − I| ${measured.covariance}`);
  }
  for (const file of ["modules.json", "2_Dense/config.json", "2_Dense/model.safetensors", "README.md"])
    assert.ok(existsSync(path.join(output, "whitened-export", file)), file);
});

test("a flow model loads with its flow applied, and neither export format takes it: the recipe's export step says why and exits 2", async () => {
  assert.equal(run.code, 0, run.stderr);
  await useBackend("wasm");
  const sentences = (await fittingSentences()).slice(0, 20);
  const flowed = await loadSentenceEncoder(path.join(output, "models", "flowed"));
  const pretrained = await loadSentenceEncoder(path.join(output, "models", "pretrained"));
  try {
    assert.ok(flowed.flow !== undefined, "the loader attached the flow");
    assert.equal(flowed.dimension, 31);
    // The model's vectors are the flow's latent of the rotated pre-trained vectors.
    const rotated = await new SentenceEncoder({ ...pretrained, dense: [flowed.dense[0]!] }).encode(sentences);
    const expected = await flowed.flow.embed(rotated);
    const actual = await flowed.encode(sentences);
    actual.forEach((vector, row) =>
      vector.forEach((value, j) => assert.ok(Math.abs(value - expected[row]![j]!) < 1e-4, `row ${row} dim ${j}`)),
    );
    for (const save of [
      () => saveSentenceEncoder(flowed, path.join(work, "st")),
      () => saveTfjsEncoder(flowed, path.join(work, "web")),
    ]) {
      await assert.rejects(
        save,
        (error) => error instanceof BabelbedError && /sentence-transformers cannot load/.test(error.message),
      );
    }
  } finally {
    flowed.dispose();
    pretrained.dispose();
  }
  const exporting = path.join(work, "export-flow.yaml");
  await writeFile(
    exporting,
    `name: export-flow\nsteps:\n  - { step: export, name: export, model: ${JSON.stringify(path.join(output, "models", "flowed"))}, output: flowed-st }\n`,
  );
  const refused = await babelbed(["run", exporting, "--output", path.join(work, "export-run")]);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(
    refused.stderr,
    /steps\.0\.model: .*flowed: the model ends in a BERT-flow, which sentence-transformers cannot load/,
  );
  assert.doesNotMatch(refused.stderr, /\n\s+at /, "no stack trace");
});

test("on real encoder vectors the flow's NLL stays bounded once the null direction is rotated away; on the raw vectors it keeps falling", async (t) => {
  assert.equal(run.code, 0, run.stderr);
  await useBackend("wasm");
  const before = tf.memory().numTensors;
  const texts = await fittingSentences();
  const encoder = await loadSentenceEncoder(path.join(output, "models", "pretrained"));
  const raw = await encoder.encode(texts);
  const rotation = principalRotation(raw);
  const rotated = await new SentenceEncoder({ ...encoder, dense: [rotation] }).encode(texts);
  encoder.dispose();
  rotation.dispose();
  // The best Gaussian's NLL per vector on the rotated vectors: ½ d log(2πe) + ½ log det Σ.
  const { eigenvalues } = fitWhitening(rotated);
  const gaussian =
    0.5 * rotated[0]!.length * Math.log(2 * Math.PI * Math.E) +
    0.5 * eigenvalues.reduce((sum, value) => sum + Math.log(value), 0);
  const fitted = (vectors: Float32Array[]) => {
    const flow = Flow.initialize({ dimension: vectors[0]!.length, steps: 2, hiddenSize: 32 }, 1);
    const result = fitFlow(flow, vectors, { epochs: 20, batchSize: 50, seed: 1 });
    flow.dispose();
    return result.finalNll;
  };
  const [onRotated, onRaw] = [fitted(rotated), fitted(raw)];
  t.diagnostic(
    `NLL per vector after 20 epochs: rotated ${onRotated.toFixed(2)}, raw ${onRaw.toFixed(2)}; best Gaussian on the rotated vectors ${gaussian.toFixed(2)}`,
  );
  assert.equal(raw[0]!.length - rotated[0]!.length, 1, "exactly the one LayerNorm direction is dropped");
  assert.ok(onRotated > gaussian - 2, `rotated: ${onRotated} vs Gaussian ${gaussian}`);
  assert.ok(onRaw < gaussian - 3, `raw: ${onRaw} vs Gaussian ${gaussian}`);
  assert.equal(tf.memory().numTensors, before);
});
