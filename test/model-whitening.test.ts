import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { loadSentenceEncoder, saveSentenceEncoder } from "../src/io/encoder-checkpoint.js";
import { readDenseModule, writeDenseModule } from "../src/io/sentence-transformers/index.js";
import type { Dense } from "../src/model/dense.js";
import { SentenceEncoder } from "../src/model/sentence-encoder.js";
import { fitWhitening, whiteningDense } from "../src/model/whitening.js";
import { Random } from "../src/util/random.js";
import { useBackend } from "./helpers/backends.js";
import { fixturesRoot, skipWithoutFixtures } from "./helpers/fixtures.js";
import { tinySentences } from "./helpers/tiny-encoder.js";

/** Largest |mean| and largest |cov − I| (covariance with n − 1), in float64, written out plainly. */
function whiteness(vectors: ArrayLike<number>[]): { mean: number; covariance: number } {
  const n = vectors.length;
  const d = vectors[0]!.length;
  const mean = Array.from({ length: d }, (_, j) => vectors.reduce((s, v) => s + v[j]!, 0) / n);
  let worstCovariance = 0;
  for (let a = 0; a < d; a++) {
    for (let b = 0; b < d; b++) {
      let sum = 0;
      for (const v of vectors) sum += (v[a]! - mean[a]!) * (v[b]! - mean[b]!);
      worstCovariance = Math.max(worstCovariance, Math.abs(sum / (n - 1) - (a === b ? 1 : 0)));
    }
  }
  return { mean: Math.max(...mean.map(Math.abs)), covariance: worstCovariance };
}

function apply(dense: Dense, vectors: ArrayLike<number>[]): number[][] {
  return tf.tidy(() => dense.forward(tf.tensor2d(vectors.map((v) => Array.from(v)))).arraySync());
}

/** Anisotropic vectors: a shared offset and a random mixing with widely spread scales. */
function correlated(count: number, dimension: number, seed: number): Float32Array[] {
  const random = new Random(seed);
  const mixing = Array.from({ length: dimension }, (_, i) =>
    Array.from({ length: dimension }, () => random.normal() * Math.exp(-i / 3)),
  );
  const offset = Array.from({ length: dimension }, () => 3 + random.normal());
  return Array.from({ length: count }, () => {
    const z = Array.from({ length: dimension }, () => random.normal());
    return Float32Array.from(offset, (o, j) => o + z.reduce((s, x, i) => s + x * mixing[i]![j]!, 0));
  });
}

test("whitening correlated vectors gives zero mean and identity covariance, with and without dimensions", async (t) => {
  await useBackend("js");
  const vectors = correlated(300, 12, 3);
  const before = whiteness(vectors);
  assert.ok(before.mean > 1 && before.covariance > 1, "the raw vectors are far from white");
  const full = fitWhitening(vectors);
  assert.equal(full.weight.length, 12 * 12);
  const reduced = fitWhitening(
    vectors.map((v) => Array.from(v)),
    { dimensions: 4 },
  );
  assert.deepEqual([reduced.outFeatures, reduced.inFeatures], [4, 12]);
  assert.deepEqual(
    Array.from(reduced.weight),
    Array.from(full.weight.slice(0, 4 * 12)),
    "k keeps the first k components",
  );
  for (const fit of [full, reduced]) {
    const dense = whiteningDense(fit);
    const { mean, covariance } = whiteness(apply(dense, vectors));
    t.diagnostic(
      `k = ${fit.outFeatures}: max |mean| ${mean.toExponential(2)}, max |cov − I| ${covariance.toExponential(2)}`,
    );
    assert.ok(mean < 1e-3, `k = ${fit.outFeatures}: max |mean| ${mean}`);
    assert.ok(covariance < 1e-2, `k = ${fit.outFeatures}: max |cov − I| ${covariance}`);
    dense.dispose();
  }
  assert.ok(
    full.eigenvalues.every((value, i) => i === 0 || value <= full.eigenvalues[i - 1]!),
    "eigenvalues largest first",
  );
});

test("whitening refuses vectors that span fewer dimensions than kept, and bad dimensions", () => {
  const few = correlated(5, 12, 4);
  assert.equal(fitWhitening(few).outFeatures, 4, "by default the 4 directions 5 centred vectors span");
  assert.throws(() => fitWhitening(few, { dimensions: 5 }), /span fewer than 5 dimensions/);
  assert.throws(() => fitWhitening([few[0]!, few[0]!]), /span fewer than 1 dimensions/);
  assert.equal(fitWhitening(few, { dimensions: 3 }).outFeatures, 3);
  assert.throws(() => fitWhitening(few, { dimensions: 13 }), /integer from 1 to the vectors' dimension 12/);
  assert.throws(() => fitWhitening([few[0]!]), /at least 2/);
  assert.throws(() => fitWhitening([few[0]!, few[1]!.slice(1)]), /vector 1 has dimension 11/);
});

/** Sentences made from the tiny corpus's words, many more than the fixture's 32 dimensions. */
function sentences(count: number): string[] {
  const words = [...new Set(tinySentences.join(" ").split(" "))];
  const random = new Random(11);
  return Array.from({ length: count }, () =>
    Array.from({ length: 3 + random.integer(8) }, () => words[random.integer(words.length)]!).join(" "),
  );
}

test("a whitened fixture model exported as sentence-transformers and loaded back gives white vectors, with and without dimensions", {
  skip: skipWithoutFixtures,
}, async (t) => {
  await useBackend("js");
  const source = await loadSentenceEncoder(path.join(fixturesRoot, "tiny-bert"));
  const texts = sentences(240);
  const raw = await source.encode(texts);
  assert.ok(whiteness(raw).covariance > 0.05, "the fixture's vectors are not white to start with");
  // Mean-pooled LayerNorm outputs satisfy one linear constraint: the default drops that direction only.
  assert.equal(fitWhitening(raw).outFeatures, 31);
  const work = await mkdtemp(path.join(tmpdir(), "babelbed-whiten-"));
  try {
    for (const dimensions of [undefined, 8]) {
      const fit = fitWhitening(raw, { dimensions });
      // The Dense module alone, as sentence-transformers stores it: config.json + model.safetensors.
      const module = path.join(work, `dense-${dimensions ?? "full"}`);
      await writeDenseModule(module, { kind: "dense", path: "2_Dense", bias: true, activation: "identity", ...fit });
      const spec = await readDenseModule(module, "2_Dense");
      assert.deepEqual([spec.outFeatures, spec.inFeatures, spec.activation], [fit.outFeatures, 32, "identity"]);
      // The whole model: the fixture's modules plus the whitening Dense, saved and loaded back.
      const whitened = new SentenceEncoder({ ...source, dense: [...source.dense, whiteningDense(fit)] });
      const exported = path.join(work, `model-${dimensions ?? "full"}`);
      await saveSentenceEncoder(whitened, exported);
      whitened.dense.at(-1)!.dispose();
      const loaded = await loadSentenceEncoder(exported);
      assert.equal(loaded.dimension, fit.outFeatures);
      const before = tf.memory().numTensors;
      const vectors = await loaded.encode(texts);
      assert.equal(tf.memory().numTensors, before, "encode leaves no tensors behind");
      const { mean, covariance } = whiteness(vectors);
      t.diagnostic(
        `dimensions ${dimensions ?? "default"} (${fit.outFeatures} kept): max |mean| ${mean.toExponential(2)}, max |cov − I| ${covariance.toExponential(2)}`,
      );
      assert.ok(mean < 1e-3, `dimensions ${dimensions}: max |mean| ${mean}`);
      assert.ok(covariance < 1e-2, `dimensions ${dimensions}: max |cov − I| ${covariance}`);
      loaded.dispose();
    }
  } finally {
    source.dispose();
    await rm(work, { recursive: true, force: true });
  }
});
