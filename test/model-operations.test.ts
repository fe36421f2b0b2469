/**
 * The encoder's fused operations (src/model/layers.ts, attention.ts) against the primitive
 * ops they replace: the same values, autodiff's gradients, central finite differences, and
 * no tensor left behind.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { selfAttention } from "../src/model/attention.js";
import { dropoutMultiplier } from "../src/model/dropout-mask.js";
import { dropout, gelu, layerNorm, linear, linearGelu, residualLayerNorm } from "../src/model/layers.js";
import { testBackends, useBackend } from "./helpers/backends.js";

/** The primitive-op versions, as the encoder computed them before the fused operations. */
const reference = {
  linear: (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
    tf
      .add(tf.matMul(x.reshape([-1, w.shape[1]!]) as tf.Tensor2D, w as tf.Tensor2D, false, true), b)
      .reshape([...x.shape.slice(0, -1), w.shape[0]!]),
  gelu: (x: tf.Tensor) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))),
  layerNorm: (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon))), gamma), beta);
  },
  attention(x: tf.Tensor, weights: tf.Tensor[], bias: tf.Tensor, heads: number, rate: number, seed: number) {
    const [batch, length, hidden] = x.shape as [number, number, number];
    const size = hidden / heads;
    const split = (t: tf.Tensor) => t.reshape([batch, length, heads, size]).transpose([0, 2, 1, 3]);
    const [q, k, v] = [0, 1, 2].map((i) => split(reference.linear(x, weights[2 * i]!, weights[2 * i + 1]!)));
    const scores = tf.add(tf.div(tf.matMul(q!, k!, false, true), Math.sqrt(size)), bias);
    let probabilities = tf.softmax(scores, -1);
    if (rate > 0) probabilities = tf.mul(probabilities, dropoutMultiplier(probabilities.shape, rate, seed));
    return tf.matMul(probabilities, v!).transpose([0, 2, 1, 3]).reshape([batch, length, hidden]);
  },
};

let seedCounter = 11;
const normal = (shape: number[], scale = 1) =>
  tf.tidy(() => tf.mul(tf.randomNormal(shape, 0, 1, "float32", seedCounter++), scale));

const maxDifference = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
const maxAbsolute = (a: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(a)).dataSync()[0]!);

/**
 * Checks `fused` against `primitive` on `inputs`: forward values, gradients of
 * `Σ f(inputs) ⊙ r` for a fixed random `r` by autodiff, and the fused gradients
 * against central differences on a few coordinates of every input.
 */
function checkOperation(
  name: string,
  fused: (...inputs: tf.Tensor[]) => tf.Tensor,
  primitive: (...inputs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
  tolerance: { forward: number; gradient: number },
) {
  const weights = tf.tidy(() => normal(fused(...inputs).shape));
  const loss =
    (f: (...x: tf.Tensor[]) => tf.Tensor) =>
    (...x: tf.Tensor[]) =>
      tf.sum(tf.mul(f(...x), weights));
  tf.tidy(() => {
    const forward = maxDifference(fused(...inputs), primitive(...inputs));
    assert.ok(forward <= tolerance.forward, `${name}: forward differs by ${forward}`);
    const fusedGradients = tf.grads(loss(fused))(inputs);
    const autodiff = tf.grads(loss(primitive))(inputs);
    fusedGradients.forEach((gradient, index) => {
      const difference = maxDifference(gradient, autodiff[index]!);
      const scale = Math.max(1, maxAbsolute(autodiff[index]!));
      assert.ok(
        difference <= tolerance.gradient * scale,
        `${name}: input ${index}'s gradient differs by ${difference}`,
      );
    });
    // Central differences in float32: a step of 1e-2 keeps rounding (≈1e-7 |L| / h) well under the check.
    const step = 1e-2;
    inputs.forEach((input, index) => {
      const values = input.dataSync();
      const analytic = fusedGradients[index]!.dataSync();
      for (const position of [0, Math.floor(values.length / 2), values.length - 1]) {
        const shifted = (delta: number) => {
          const copy = Float32Array.from(values);
          copy[position]! += delta;
          const moved = inputs.map((other, j) => (j === index ? tf.tensor(copy, input.shape) : other));
          return loss(fused)(...moved).dataSync()[0]!;
        };
        const numeric = (shifted(step) - shifted(-step)) / (2 * step);
        const gap = Math.abs(numeric - analytic[position]!);
        assert.ok(
          gap <= 2e-2 * Math.max(1, Math.abs(numeric)),
          `${name}: input ${index}[${position}] ${analytic[position]} vs finite ${numeric}`,
        );
      }
    });
  });
  weights.dispose();
}

for (const backend of testBackends) {
  describe(`fused encoder operations on ${backend}`, () => {
    test("linear, GELU, linear + GELU, LayerNorm and residual LayerNorm equal the primitive ops and finite differences", async () => {
      await useBackend(backend);
      const before = tf.memory().numTensors;
      const x = normal([2, 3, 8]);
      const w = normal([5, 8], 0.5);
      const b = normal([5]);
      const gamma = tf.tidy(() => tf.add(1, normal([8], 0.1)));
      const beta = normal([8], 0.1);
      const residual = normal([2, 3, 8]);
      const exact = { forward: 0, gradient: 1e-5 };
      checkOperation(
        "linear",
        (input, weight, bias) => linear(input!, weight as tf.Tensor2D, bias as tf.Tensor1D),
        reference.linear,
        [x, w, b],
        exact,
      );
      // wasm runs GELU as one fused kernel (src/device/wasm-kernels/gelu.ts) whose erf is
      // Abramowitz & Stegun 7.1.26, not tfjs' Erf: values agree to float32 rounding, not bit for bit.
      const fusedGelu = { forward: backend === "wasm" ? 1e-6 : 0, gradient: 1e-5 };
      checkOperation("gelu", gelu, reference.gelu, [x], fusedGelu);
      checkOperation(
        "linear + gelu",
        (input, weight, bias) => linearGelu(input!, { weight: weight as tf.Tensor2D, bias: bias as tf.Tensor1D }),
        (input, weight, bias) => reference.gelu(reference.linear(input!, weight!, bias!)),
        [x, w, b],
        fusedGelu,
      );
      checkOperation(
        "layer norm",
        (input, g, s) => layerNorm(input!, g as tf.Tensor1D, s as tf.Tensor1D, 1e-12),
        (input, g, s) => reference.layerNorm(input!, g!, s!, 1e-12),
        [x, gamma, beta],
        exact,
      );
      checkOperation(
        "residual layer norm",
        (input, added, g, s) =>
          residualLayerNorm(input!, added!, { weight: g as tf.Tensor1D, bias: s as tf.Tensor1D }, 1e-5),
        (input, added, g, s) => reference.layerNorm(tf.add(input!, added!), g!, s!, 1e-5),
        [x, residual, gamma, beta],
        exact,
      );
      tf.dispose([x, w, b, gamma, beta, residual]);
      assert.equal(tf.memory().numTensors, before, "no tensor is left behind");
    });

    test("dropout multiplies by its seed's mask and passes gradients through the kept units only", async () => {
      await useBackend(backend);
      const x = normal([4, 16]);
      const seeds = () => 1234;
      checkOperation(
        "dropout",
        (input) => dropout(input!, 0.3, true, seeds),
        (input) => tf.mul(input!, dropoutMultiplier(input!.shape, 0.3, 1234)),
        [x],
        { forward: 0, gradient: 1e-6 },
      );
      assert.equal(dropout(x, 0.3, false, seeds), x, "identity outside training");
      x.dispose();
    });

    test("self-attention with Q, K, V from one matmul equals three projections, with a padding mask, a learned bias and dropout", async () => {
      await useBackend(backend);
      const before = tf.memory().numTensors;
      const [batch, length, hidden, heads] = [2, 5, 8, 2];
      const x = normal([batch, length, hidden]);
      const weights = [0, 1, 2].flatMap(() => [normal([hidden, hidden], 0.4), normal([hidden], 0.1)]);
      // Padding (the last two positions of the second sentence) plus a learned [1, heads, seq, seq] bias, as MPNet adds.
      const padding = tf.tensor4d([0, 0, 0, 0, 0, 0, 0, 0, -1e9, -1e9], [batch, 1, 1, length]);
      const learned = normal([1, heads, length, length], 0.5);
      const shape = { batchSize: batch, length, hiddenSize: hidden, heads };
      for (const rate of [0, 0.2]) {
        const fused = (input: tf.Tensor, ...rest: tf.Tensor[]) => {
          const [wq, bq, wk, bk, wv, bv, bias] = rest as [
            tf.Tensor2D,
            tf.Tensor1D,
            tf.Tensor2D,
            tf.Tensor1D,
            tf.Tensor2D,
            tf.Tensor1D,
            tf.Tensor,
          ];
          const scoreBias = tf.add(bias, padding);
          return selfAttention(
            input,
            { weight: wq, bias: bq },
            { weight: wk, bias: bk },
            { weight: wv, bias: bv },
            scoreBias,
            {
              ...shape,
              dropoutRate: rate,
              seed: 77,
            },
          );
        };
        const primitive = (input: tf.Tensor, ...rest: tf.Tensor[]) =>
          reference.attention(input, rest.slice(0, 6), tf.add(rest[6]!, padding), heads, rate, 77);
        checkOperation(`attention (dropout ${rate})`, fused, primitive, [x, ...weights, learned], {
          forward: 1e-6,
          gradient: 1e-5,
        });
      }
      tf.dispose([x, ...weights, padding, learned]);
      assert.equal(tf.memory().numTensors, before, "no tensor is left behind");
    });
  });
}
