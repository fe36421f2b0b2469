import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { Matrix, determinant } from "ml-matrix";
import { loadFlowModule, saveFlowModule } from "../src/io/flow-module.js";
import { loadSentenceEncoder } from "../src/io/encoder-checkpoint.js";
import { Flow, type FlowConfig } from "../src/model/flow.js";
import { fitFlow } from "../src/train/flow-fitting.js";
import { Random } from "../src/util/random.js";
import { testBackends, useBackend } from "./helpers/backends.js";
import { fixturesRoot, maxAbsDifference, skipWithoutFixtures } from "./helpers/fixtures.js";
import { tinySentences } from "./helpers/tiny-encoder.js";

/**
 * A flow whose every parameter is moved at random, so no coupling or ActNorm is the identity;
 * the linear maps stay near their initial rotations, so that they stay well conditioned.
 */
function randomFlow(config: FlowConfig, seed: number): Flow {
  const flow = Flow.initialize(config, seed);
  const random = new Random(seed + 1);
  for (const [name, variable] of flow.parameters) {
    const spread = name.includes("log_scale") || name.includes(".linear.") ? 0.2 : 0.3;
    tf.tidy(() =>
      variable.assign(
        tf.add(
          variable,
          tf.tensor(
            Float32Array.from({ length: variable.size }, () => spread * random.normal()),
            variable.shape,
          ),
        ),
      ),
    );
  }
  return flow;
}

function randomRows(count: number, dimension: number, seed: number): number[][] {
  const random = new Random(seed);
  return Array.from({ length: count }, () => Array.from({ length: dimension }, () => random.normal()));
}

for (const backend of testBackends) {
  test(`a flow is invertible, x → z → x, with and without ActNorm, and leaves no tensors on ${backend}`, async () => {
    await useBackend(backend);
    for (const actNorm of [true, false]) {
      const flow = randomFlow({ dimension: 7, steps: 3, hiddenSize: 16, actNorm }, 3);
      const before = tf.memory().numTensors;
      const x = tf.tensor2d(randomRows(10, 7, 4));
      const { z, logDeterminant } = flow.forward(x);
      const back = flow.inverse(z);
      const error = tf.tidy(() => tf.max(tf.abs(tf.sub(back, x))).dataSync()[0]!);
      assert.ok(error < 1e-4, `actNorm ${actNorm}: max |x − inverse(forward(x))| = ${error}`);
      tf.dispose([x, z, logDeterminant, back]);
      assert.equal(tf.memory().numTensors, before, "forward and inverse leave no tensors behind");
      flow.dispose();
    }
  });

  test(`the flow's log-determinant equals log |det| of its Jacobian, by autodiff and by finite differences, on ${backend}`, async () => {
    await useBackend(backend);
    const dimension = 4;
    const flow = randomFlow({ dimension, steps: 2, hiddenSize: 8 }, 5);
    for (const point of randomRows(3, dimension, 6)) {
      const stated = tf.tidy(() => flow.forward(tf.tensor2d([point])).logDeterminant.dataSync()[0]!);
      const zOf = (x: number[]) => tf.tidy(() => Array.from(flow.forward(tf.tensor2d([x])).z.dataSync()));
      // Autodiff: row i of the Jacobian is the gradient of z_i.
      const automatic = Array.from({ length: dimension }, (_, i) =>
        tf.tidy(() =>
          Array.from(
            tf
              .grad((x: tf.Tensor) =>
                flow
                  .forward(x as tf.Tensor2D)
                  .z.slice([0, i], [1, 1])
                  .sum(),
              )(tf.tensor2d([point]))
              .dataSync(),
          ),
        ),
      );
      // Central differences: column j is ∂z/∂x_j.
      const epsilon = 1e-2;
      const columns = Array.from({ length: dimension }, (_, j) => {
        const up = zOf(point.map((v, k) => (k === j ? v + epsilon : v)));
        const down = zOf(point.map((v, k) => (k === j ? v - epsilon : v)));
        return up.map((u, i) => (u - down[i]!) / (2 * epsilon));
      });
      const numeric = Array.from({ length: dimension }, (_, i) => columns.map((column) => column[i]!));
      const logAbsDet = (rows: number[][]) => Math.log(Math.abs(determinant(new Matrix(rows))));
      assert.ok(
        Math.abs(logAbsDet(automatic) - stated) < 1e-4,
        `autodiff Jacobian: ${logAbsDet(automatic)} vs stated ${stated}`,
      );
      assert.ok(
        Math.abs(logAbsDet(numeric) - stated) < 1e-2,
        `finite-difference Jacobian: ${logAbsDet(numeric)} vs stated ${stated}`,
      );
    }
    flow.dispose();
  });

  test(`the negative log-likelihood's gradient agrees with central finite differences on ${backend}`, async () => {
    await useBackend(backend);
    const flow = randomFlow({ dimension: 5, steps: 2, hiddenSize: 6 }, 7);
    const x = tf.tensor2d(randomRows(6, 5, 8));
    const { grads } = tf.variableGrads(() => flow.negativeLogLikelihood(x));
    const lossAt = () => tf.tidy(() => flow.negativeLogLikelihood(x).dataSync()[0]!);
    const random = new Random(9);
    // Small enough that a step rarely crosses a ReLU kink of the coupling networks.
    const epsilon = 1e-3;
    for (const [name, variable] of flow.parameters) {
      const gradient = grads[variable.name];
      assert.ok(gradient, `${name} has a gradient`);
      const values = gradient.dataSync();
      let largest = 0;
      values.forEach((value, index) => {
        if (Math.abs(value) > Math.abs(values[largest]!)) largest = index;
      });
      for (const index of [largest, random.integer(values.length)]) {
        const original = variable.dataSync().slice();
        const shifted = (delta: number) => {
          const copy = original.slice();
          copy[index] += delta;
          tf.tidy(() => variable.assign(tf.tensor(copy, variable.shape)));
          return lossAt();
        };
        const numeric = (shifted(epsilon) - shifted(-epsilon)) / (2 * epsilon);
        tf.tidy(() => variable.assign(tf.tensor(original, variable.shape)));
        const analytic = values[index]!;
        assert.ok(
          Math.abs(numeric - analytic) < 2e-3 + 2e-2 * Math.abs(numeric),
          `${name}[${index}]: analytic ${analytic} vs numeric ${numeric}`,
        );
      }
    }
    tf.dispose([x, ...Object.values(grads)]);
    flow.dispose();
  });
}

/** Anisotropic, non-Gaussian vectors: a shared offset, mixed scales and a squared coordinate. */
function skewed(count: number, dimension: number, seed: number): number[][] {
  const random = new Random(seed);
  return Array.from({ length: count }, () => {
    const z = Array.from({ length: dimension }, () => random.normal());
    return z.map((value, j) => 2 + value * Math.exp(-j / 2) + 0.5 * z[0]! ** 2);
  });
}

async function checkFitting(vectors: ArrayLike<number>[], config: FlowConfig) {
  const flow = Flow.initialize(config, 1);
  const counts: number[] = [];
  const result = fitFlow(flow, vectors, {
    epochs: 6,
    batchSize: 32,
    learningRate: 1e-2,
    seed: 2,
    onStep: () => counts.push(tf.memory().numTensors),
  });
  assert.ok(result.finalNll < result.initialNll - 1, `NLL ${result.initialNll} → ${result.finalNll}`);
  assert.equal(new Set(counts.slice(1)).size, 1, `tensor counts during fitting: ${[...new Set(counts)].join(", ")}`);
  const embeddings = await flow.embed(vectors);
  const direct = tf.tidy(() =>
    Array.from(flow.forward(tf.tensor2d(vectors.slice(0, 1).map((v) => Array.from(v)))).z.dataSync()),
  );
  assert.ok(maxAbsDifference(Array.from(embeddings[0]!), direct) < 1e-5, "embed is forward's z");
  assert.equal(embeddings.length, vectors.length);
  assert.equal(embeddings[0]!.length, config.dimension);
  flow.dispose();
  return result;
}

test("fitting a flow by maximum likelihood lowers the NLL of correlated vectors, with tensors flat", async (t) => {
  await useBackend("js");
  const before = tf.memory().numTensors;
  const result = await checkFitting(skewed(256, 8, 3), { dimension: 8, steps: 3, hiddenSize: 16 });
  t.diagnostic(
    `NLL per vector ${result.initialNll.toFixed(3)} → ${result.finalNll.toFixed(3)} nats in ${result.steps} steps`,
  );
  assert.equal(tf.memory().numTensors, before, "fitting leaves no tensors behind");
});

test("fitting a flow lowers the NLL of a fixture model's sentence vectors", {
  skip: skipWithoutFixtures,
}, async (t) => {
  await useBackend("js");
  const encoder = await loadSentenceEncoder(path.join(fixturesRoot, "tiny-bert"));
  const words = [...new Set(tinySentences.join(" ").split(" "))];
  const random = new Random(11);
  const texts = Array.from({ length: 192 }, () =>
    Array.from({ length: 3 + random.integer(8) }, () => words[random.integer(words.length)]!).join(" "),
  );
  const vectors = await encoder.encode(texts);
  encoder.dispose();
  const result = await checkFitting(vectors, { dimension: 32, steps: 2, hiddenSize: 32 });
  t.diagnostic(
    `NLL per vector ${result.initialNll.toFixed(3)} → ${result.finalNll.toFixed(3)} nats in ${result.steps} steps`,
  );
});

test("a flow saved as its own module loads back identical, and bad modules are refused by file and field", async () => {
  await useBackend("js");
  const work = await mkdtemp(path.join(tmpdir(), "babelbed-flow-"));
  try {
    const flow = randomFlow({ dimension: 6, steps: 2, hiddenSize: 5, actNorm: true }, 12);
    await saveFlowModule(flow, path.join(work, "flow"));
    const loaded = await loadFlowModule(path.join(work, "flow"));
    assert.deepEqual(loaded.config, flow.config);
    const x = tf.tensor2d(randomRows(4, 6, 13));
    const [a, b] = [flow, loaded].map((model) => tf.tidy(() => Array.from(model.forward(x).z.dataSync())));
    assert.deepEqual(a, b);
    x.dispose();
    flow.dispose();
    loaded.dispose();
    await writeFile(
      path.join(work, "flow", "config.json"),
      JSON.stringify({ architecture: "babelbed-glow-flow", dimension: 6, steps: 2, hidden_size: "five" }),
    );
    await assert.rejects(
      loadFlowModule(path.join(work, "flow")),
      /config\.json: field "hidden_size" must be a positive integer/,
    );
    await writeFile(
      path.join(work, "flow", "config.json"),
      JSON.stringify({ architecture: "babelbed-glow-flow", dimension: 6, steps: 3, hidden_size: 5 }),
    );
    await assert.rejects(
      loadFlowModule(path.join(work, "flow")),
      /model\.safetensors: tensor "steps\.2\.act_norm\.bias" is missing/,
    );
    await assert.rejects(loadFlowModule(path.join(work, "nothing")), /config\.json: missing/);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
