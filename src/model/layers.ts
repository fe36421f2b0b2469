import * as tf from "@tensorflow/tfjs";
import { fusedGelu, fusedGeluGradient } from "../device/wasm-kernels/gelu.js";
import { dropoutMultiplier } from "./dropout-mask.js";
import { operation } from "./operation.js";

/**
 * The encoder's layers as single operations with their gradients written out
 * (`tf.customGrad`). tfjs' tape keeps every input of every recorded op until the
 * backward pass and a gradient tensor for each of them after it; built from
 * primitive ops, one GELU kept five `[tokens, intermediate]` tensors and one
 * LayerNorm seven `[tokens, hidden]` ones. Here each layer keeps only what its
 * gradient reads (the input of a Linear, the pre-activation of GELU, the
 * normalised values of a LayerNorm, a dropout's mask), and its gradient is one
 * tidy. The forward arithmetic is the same op for op as before, so values do not
 * change; the gradients are the same formulas as autodiff's, summed in another
 * order (float32 rounding). `test/model-operations.test.ts` checks each
 * against finite differences and against autodiff.
 */

/** A PyTorch `nn.Linear`'s parameters: `weight` `[out, in]`, `bias` `[out]`. */
export interface LinearWeights {
  weight: tf.Tensor2D;
  bias: tf.Tensor1D;
}

/** A PyTorch `nn.LayerNorm`'s parameters: scale `weight` and shift `bias`, each `[hidden]`. */
export interface LayerNormWeights {
  weight: tf.Tensor1D;
  bias: tf.Tensor1D;
}

/** `[..., in]` as `[rows, in]`, the shape every matmul here runs on. */
const rowsOf = (x: tf.Tensor): tf.Tensor2D => x.reshape([-1, x.shape[x.shape.length - 1]!]) as tf.Tensor2D;

/**
 * Column sums of `[rows, columns]` as a product with a row of ones: one matmul, where a sum
 * over the first axis made the wasm backend transpose the whole tensor first.
 */
export function sumRows(t: tf.Tensor): tf.Tensor1D {
  const rows = rowsOf(t);
  return tf.matMul(tf.ones([1, rows.shape[0]]), rows).reshape([rows.shape[1]]); // [columns]
}

/** `x W^T + b` on rows. */
function affine(rows: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor): tf.Tensor2D {
  return tf.add(tf.matMul(rows as tf.Tensor2D, weight as tf.Tensor2D, false, true), bias); // [rows, out]
}

/** The gradients of `x`, `W` and `b` in `x W^T + b`, given the rows' gradient `dy`. */
function affineGradients(dy: tf.Tensor, rows: tf.Tensor, weight: tf.Tensor, x: tf.Tensor): tf.Tensor[] {
  const dRows = tf.matMul(dy as tf.Tensor2D, weight as tf.Tensor2D); // [rows, in]
  const dWeight = tf.matMul(dy as tf.Tensor2D, rows as tf.Tensor2D, true, false); // [out, in]
  return [dRows.reshape(x.shape), dWeight, sumRows(dy)];
}

const linearWithBias = operation(([x, weight, bias], save) => {
  const rows = rowsOf(x!); // [rows, in]
  save([rows, weight!]);
  return {
    value: affine(rows, weight!, bias!).reshape([...x!.shape.slice(0, -1), weight!.shape[0]!]), // [..., out]
    gradients: (dy, [savedRows, savedWeight]) => affineGradients(rowsOf(dy), savedRows!, savedWeight!, x!),
  };
});

/** `x W^T + b` with `W` in PyTorch's `[out, in]` layout, so checkpoints load without transposes. */
export function linear(x: tf.Tensor, weight: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor {
  if (bias !== undefined) return linearWithBias(x, weight, bias);
  const y = tf.matMul(rowsOf(x), weight, false, true); // [rows, out]
  return y.reshape([...x.shape.slice(0, -1), weight.shape[0]]);
}

/**
 * The exact GELU of the BERT paper, `x Φ(x)`, not the tanh approximation: one fused kernel on
 * wasm (`src/device/wasm-kernels/gelu.ts`), tfjs' ops elsewhere.
 */
function geluValue(x: tf.Tensor): tf.Tensor {
  return fusedGelu(x) ?? tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
}

/** `dy · d/dx x Φ(x) = dy (Φ(x) + x φ(x))`, with φ the standard normal density. */
function geluGradient(dy: tf.Tensor, x: tf.Tensor): tf.Tensor {
  const fused = fusedGeluGradient(dy, x);
  if (fused !== undefined) return fused;
  const cumulative = tf.mul(0.5, tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
  const density = tf.mul(tf.exp(tf.mul(tf.square(x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
  return tf.mul(dy, tf.add(cumulative, tf.mul(x, density)));
}

export const gelu = operation(([x], save) => {
  save([x!]);
  return { value: geluValue(x!), gradients: (dy, [savedX]) => [geluGradient(dy, savedX!)] };
}) as (x: tf.Tensor) => tf.Tensor;

/**
 * `gelu(x W^T + b)`, BERT's intermediate layer, as one op: it keeps `x` and the
 * pre-activation, not GELU's four intermediates.
 */
const linearGeluOperation = operation(([x, weight, bias], save) => {
  const rows = rowsOf(x!); // [rows, in]
  const preActivation = affine(rows, weight!, bias!); // [rows, out]
  save([rows, weight!, preActivation]);
  return {
    value: geluValue(preActivation).reshape([...x!.shape.slice(0, -1), weight!.shape[0]!]), // [..., out]
    gradients: (dy, [savedRows, savedWeight, savedPre]) =>
      affineGradients(geluGradient(rowsOf(dy), savedPre!), savedRows!, savedWeight!, x!),
  };
});

export function linearGelu(x: tf.Tensor, dense: LinearWeights): tf.Tensor {
  return linearGeluOperation(x, dense.weight, dense.bias);
}

/** Normalise over the last axis with the biased variance, as torch computes it. */
function normalize(x: tf.Tensor, epsilon: number) {
  const { mean, variance } = tf.moments(x, -1, true);
  const inverseDeviation = tf.rsqrt(tf.add(variance, epsilon)); // [..., 1]
  return { normalized: tf.mul(tf.sub(x, mean), inverseDeviation), inverseDeviation };
}

/**
 * LayerNorm's gradients from the normalised values `x̂` and `1/σ`:
 * `dx = (g - mean(g) - x̂ mean(g x̂)) / σ` with `g = dy γ` over the last axis;
 * `dγ = Σ dy x̂` and `dβ = Σ dy` over the rows.
 */
function layerNormGradients(dy: tf.Tensor, [normalized, inverseDeviation, gamma]: tf.Tensor[]): tf.Tensor[] {
  const scaled = tf.mul(dy, gamma!); // g
  const centred = tf.sub(scaled, tf.mean(scaled, -1, true));
  const projection = tf.mul(normalized!, tf.mean(tf.mul(scaled, normalized!), -1, true));
  const dx = tf.mul(tf.sub(centred, projection), inverseDeviation!);
  return [dx, sumRows(tf.mul(dy, normalized!)), sumRows(dy)];
}

/** LayerNorm over the last axis with the biased variance, as torch computes it. */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): tf.Tensor {
  return operation(([input, scale, shift], save) => {
    const { normalized, inverseDeviation } = normalize(input!, epsilon);
    save([normalized, inverseDeviation, scale!]);
    return { value: tf.add(tf.mul(normalized, scale!), shift!), gradients: layerNormGradients };
  })(x, gamma, beta);
}

/** `LayerNorm(x + sublayer)`, the post-norm residual of BERT's blocks, keeping only what its gradient reads. */
export function residualLayerNorm(
  x: tf.Tensor,
  sublayer: tf.Tensor,
  norm: LayerNormWeights,
  epsilon: number,
): tf.Tensor {
  return operation(([input, added, scale, shift], save) => {
    const { normalized, inverseDeviation } = normalize(tf.add(input!, added!), epsilon);
    save([normalized, inverseDeviation, scale!]);
    return {
      value: tf.add(tf.mul(normalized, scale!), shift!),
      gradients: (dy, saved) => {
        const [dx, dGamma, dBeta] = layerNormGradients(dy, saved);
        return [dx!, dx!.clone(), dGamma!, dBeta!]; // the sum's two inputs get the same gradient, as two tensors
      },
    };
  })(x, sublayer, norm.weight, norm.bias);
}

/**
 * Inverted dropout; identity unless training. The seed makes masks repeatable
 * (`dropout-mask.ts`). Only the mask is kept for the gradient.
 */
export function dropout(x: tf.Tensor, rate: number, training: boolean, seed: () => number): tf.Tensor {
  if (!training || rate === 0) return x;
  const opSeed = seed();
  return operation(([input], save) => {
    const multiplier = dropoutMultiplier(input!.shape, rate, opSeed);
    save([multiplier]);
    return { value: tf.mul(input!, multiplier), gradients: (dy, [saved]) => [tf.mul(dy, saved!)] };
  })(x);
}

/** `x / max(||x||_2, 1e-12)` along the last axis, as `torch.nn.functional.normalize`. */
export function l2Normalize<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.div(x, tf.maximum(tf.norm(x, 2, -1, true), 1e-12)) as T);
}
