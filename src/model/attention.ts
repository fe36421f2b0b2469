import * as tf from "@tensorflow/tfjs";
import { dropoutMultiplier } from "./dropout-mask.js";
import type { LinearWeights } from "./layers.js";
import { operation } from "./operation.js";

/**
 * `BertSelfAttention` (Vaswani et al. 2017, §3.2): multi-head scaled dot-product attention,
 * the heads' contexts concatenated, as one op with its gradient written out.
 *
 * Q, K and V come from one matmul against the three weights stacked (`[3 hidden, hidden]`):
 * one pass over the input instead of three, and on a GPU one kernel launch. The op keeps
 * for its gradient only the heads' queries, keys and values, the attention probabilities
 * and the dropout mask; built from primitive ops, the tape also held the scaled and biased
 * scores, the transposes and the sums of every bias add. The forward arithmetic is the
 * same as HF's, op for op.
 */
export interface AttentionShape {
  batchSize: number;
  length: number;
  hiddenSize: number;
  heads: number;
  /** Dropout on the attention probabilities; 0 outside training. */
  dropoutRate: number;
  seed: number;
}

/** The scores' gradient summed down to the shape of the bias added to them (broadcast axes). */
function sumToShape(gradient: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = shape.flatMap((size, axis) => (size === 1 && gradient.shape[axis] !== 1 ? [axis] : []));
  return axes.length === 0 ? gradient : tf.sum(gradient, axes, true);
}

export function selfAttention(
  x: tf.Tensor,
  query: LinearWeights,
  key: LinearWeights,
  value: LinearWeights,
  scoreBias: tf.Tensor,
  shape: AttentionShape,
): tf.Tensor {
  const { batchSize, length, hiddenSize, heads, dropoutRate, seed } = shape;
  const headSize = hiddenSize / heads;
  const scale = Math.sqrt(headSize);
  // [hidden, tokens] (one of Q, K, V, features first) → [batch, heads, seq, head]
  const toHeads = (t: tf.Tensor) => t.reshape([heads, headSize, batchSize, length]).transpose([2, 0, 3, 1]);
  // [batch, heads, seq, head] → [hidden, tokens], the inverse of toHeads
  const fromHeads = (t: tf.Tensor) => t.transpose([1, 3, 0, 2]).reshape([hiddenSize, batchSize * length]);
  const op = operation(([input, wq, bq, wk, bk, wv, bv, bias], save) => {
    const rows = input!.reshape([batchSize * length, hiddenSize]) as tf.Tensor2D; // [tokens, hidden]
    const weight = tf.concat([wq!, wk!, wv!], 0) as tf.Tensor2D; // [3 hidden, hidden]
    // Features first, so that Q, K and V are contiguous thirds of the one product.
    const projected = tf.add(tf.matMul(weight, rows, false, true), tf.concat([bq!, bk!, bv!]).reshape([-1, 1])); // [3 hidden, tokens]
    const [queries, keys, values] = tf.split(projected, 3, 0).map(toHeads); // each [batch, heads, seq, head]
    const scaled = tf.div(tf.matMul(queries!, keys!, false, true), scale); // [batch, heads, seq, seq]
    const probabilities = tf.softmax(tf.add(scaled, bias!), -1); // [batch, heads, seq, seq]
    const multiplier = dropoutRate > 0 ? dropoutMultiplier(probabilities.shape, dropoutRate, seed) : undefined;
    const dropped = multiplier === undefined ? probabilities : tf.mul(probabilities, multiplier);
    const context = tf.matMul(dropped, values!); // [batch, heads, seq, head]
    save([rows, weight, queries!, keys!, values!, probabilities, ...(multiplier === undefined ? [] : [multiplier])]);
    return {
      value: context.transpose([0, 2, 1, 3]).reshape([batchSize, length, hiddenSize]), // [batch, seq, hidden]
      gradients: (dy, [savedRows, savedWeight, q, k, v, p, mask]) => {
        // [batch, seq, hidden] → [batch, heads, seq, head]
        const dContext = dy.reshape([batchSize, length, heads, headSize]).transpose([0, 2, 1, 3]);
        const used = mask === undefined ? p! : tf.mul(p!, mask);
        const dValues = tf.matMul(used, dContext, true, false); // [batch, heads, seq, head]
        const dUsed = tf.matMul(dContext, v!, false, true); // [batch, heads, seq, seq]
        const dProbabilities = mask === undefined ? dUsed : tf.mul(dUsed, mask);
        // softmax: dz = p (dp - Σ dp p)
        const dScores = tf.mul(p!, tf.sub(dProbabilities, tf.sum(tf.mul(dProbabilities, p!), -1, true)));
        const dScaled = tf.div(dScores, scale);
        const dQueries = tf.matMul(dScaled, k!); // [batch, heads, seq, head]
        const dKeys = tf.matMul(dScaled, q!, true, false); // [batch, heads, seq, head]
        const dProjected = tf.concat([dQueries, dKeys, dValues].map(fromHeads), 0) as tf.Tensor2D; // [3 hidden, tokens]
        const dRows = tf.matMul(dProjected, savedWeight as tf.Tensor2D, true, false); // [tokens, hidden]
        const [dWq, dWk, dWv] = tf.split(tf.matMul(dProjected, savedRows as tf.Tensor2D), 3, 0); // each [hidden, hidden]
        const [dBq, dBk, dBv] = tf.split(tf.sum(dProjected, 1), 3);
        return [dRows.reshape(input!.shape), dWq!, dBq!, dWk!, dBk!, dWv!, dBv!, sumToShape(dScores, bias!.shape)];
      },
    };
  });
  return op(x, query.weight, query.bias, key.weight, key.bias, value.weight, value.bias, scoreBias);
}
