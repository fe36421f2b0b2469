import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { withBackend } from "../src/device/index.js";

/** Deterministic parameters (mulberry32) so both backends start from the same values. */
function uniform(shape: number[], seed: number, scale = 0.5): tf.Tensor {
  let state = seed >>> 0;
  const size = shape.reduce((product, dimension) => product * dimension, 1);
  const values = Array.from({ length: size }, () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return scale * (2 * (((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296) - 1);
  });
  return tf.tensor(values, shape);
}

const batch = 3;
const length = 6;
const hidden = 8;
const heads = 2;
// Ids 256 and 512 are there because the unpatched wasm Cast turned them into
// false in `tf.cast(ids, "bool")`, masking real tokens as padding.
const vocabulary = 520;
const tokenIds = [
  [5, 256, 9, 2, 0, 0],
  [7, 7, 512, 1, 4, 0],
  [3, 519, 5, 5, 8, 6],
];

function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return x
    .sub(mean)
    .mul(tf.rsqrt(variance.add(1e-12)))
    .mul(gamma)
    .add(beta);
}

function gelu(x: tf.Tensor): tf.Tensor {
  return x.mul(0.5).mul(tf.erf(x.div(Math.SQRT2)).add(1));
}

/**
 * One encoder layer and the sentence-embedding losses babelbed trains with:
 * embedding and position lookups (gather), a masked multi-head self-attention,
 * an exact-GELU feed-forward block, LayerNorm, masked mean pooling, then
 * in-batch softmax cross-entropy with an additive margin, MSE against a
 * teacher, a cosine term and a triplet hinge.
 */
function trainingLoss(parameters: tf.Tensor[], tokens: tf.Tensor2D): tf.Scalar {
  const [embedding, positions, query, key, value, output, inner, outer, gamma, beta, teacher] = parameters;
  const mask = tf.cast(tokens, "bool");
  const maskFloat = tf.cast(mask, "float32");
  const positionIds = tf.range(0, length, 1, "int32");
  let x = tf.gather(embedding, tokens).add(tf.gather(positions, positionIds));
  x = layerNorm(x, gamma, beta);
  const flat = x.reshape([batch * length, hidden]);
  const split = (projection: tf.Tensor) =>
    tf
      .matMul(flat, projection)
      .reshape([batch, length, heads, hidden / heads])
      .transpose([0, 2, 1, 3]);
  const scores = tf.matMul(split(query), split(key), false, true).div(Math.sqrt(hidden / heads));
  const blocked = tf.where(
    mask.reshape([batch, 1, 1, length]).tile([1, heads, length, 1]),
    scores,
    tf.fill(scores.shape, -1e4),
  );
  const attention = tf
    .matMul(tf.softmax(blocked), split(value))
    .transpose([0, 2, 1, 3])
    .reshape([batch * length, hidden]);
  const attended = layerNorm(flat.add(tf.matMul(attention, output)), gamma, beta);
  const feedForward = tf.matMul(gelu(tf.matMul(attended, inner)), outer);
  const encoded = layerNorm(attended.add(feedForward), gamma, beta).reshape([batch, length, hidden]);
  const pooled = encoded.mul(maskFloat.expandDims(2)).sum(1).div(maskFloat.sum(1, true));

  const normalised = pooled.div(tf.norm(pooled, "euclidean", 1, true));
  const similarities = tf.matMul(normalised, normalised, false, true).mul(20);
  const labels = tf.oneHot(tf.range(0, batch, 1, "int32"), batch);
  const withMargin = similarities.sub(tf.cast(labels, "float32").mul(0.3 * 20));
  const crossEntropy = tf.losses.softmaxCrossEntropy(labels, withMargin);
  const meanSquared = tf.losses.meanSquaredError(teacher, pooled);
  const cosine = tf.losses.cosineDistance(normalised, teacher.div(tf.norm(teacher, 2, 1, true)), 1);
  const anchorPositive = tf.norm(pooled.sub(teacher), 2, 1);
  const anchorNegative = tf.norm(pooled.sub(tf.reverse(teacher, 0)), 2, 1);
  const triplet = tf.relu(anchorPositive.sub(anchorNegative).add(1)).mean();
  return tf.addN([crossEntropy, meanSquared, cosine, triplet]) as tf.Scalar;
}

const shapes = [
  [vocabulary, hidden],
  [length, hidden],
  [hidden, hidden],
  [hidden, hidden],
  [hidden, hidden],
  [hidden, hidden],
  [hidden, 4 * hidden],
  [4 * hidden, hidden],
  [hidden],
  [hidden],
  [batch, hidden],
];

async function gradientsOn(backend: string): Promise<{ loss: number; gradients: number[][] }> {
  return withBackend(backend, () =>
    tf.tidy(() => {
      const parameters = shapes.map((shape, index) => (index === 8 ? tf.ones(shape) : uniform(shape, 100 + index)));
      const tokens = tf.tensor2d(tokenIds, [batch, length], "int32");
      const { value, grads } = tf.valueAndGrads((...inputs: tf.Tensor[]) => trainingLoss(inputs, tokens))(parameters);
      return { loss: value.dataSync()[0], gradients: grads.map((gradient) => Array.from(gradient.dataSync())) };
    }),
  );
}

test("a transformer training step gives the same loss and gradients on wasm as on js", async (context) => {
  const reference = await gradientsOn("cpu");
  const actual = await gradientsOn("wasm");
  assert.ok(Math.abs(actual.loss - reference.loss) <= 1e-5, `loss: wasm ${actual.loss}, js ${reference.loss}`);
  let largest = 0;
  reference.gradients.forEach((expected, parameter) => {
    const got = actual.gradients[parameter];
    assert.equal(got.length, expected.length);
    expected.forEach((value, index) => {
      largest = Math.max(largest, Math.abs(got[index] - value));
      assert.ok(
        Math.abs(got[index] - value) <= 1e-5,
        `parameter ${parameter} [${index}]: wasm ${got[index]}, js ${value}`,
      );
    });
  });
  context.diagnostic(`largest gradient difference between wasm and js: ${largest}`);
  // Rows of tokens that occur get a gradient; rows of absent tokens and of the
  // padding id 0, masked out of attention and pooling, get exactly none.
  const used = new Set(tokenIds.flat().filter((token) => token !== 0));
  const embeddingGradient = actual.gradients[0];
  for (let row = 0; row < vocabulary; row++) {
    const norm = embeddingGradient
      .slice(row * hidden, (row + 1) * hidden)
      .reduce((sum, entry) => sum + Math.abs(entry), 0);
    assert.equal(norm > 0, used.has(row), `embedding row ${row}`);
  }
});
