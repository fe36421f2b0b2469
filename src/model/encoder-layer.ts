import * as tf from "@tensorflow/tfjs";
import { dropout, gelu, layerNorm, linear, type LayerNormWeights, type LinearWeights } from "./layers.js";
import type { LayerWeights } from "./weights.js";

/**
 * One post-LayerNorm encoder layer of BERT (Devlin et al. 2019; Vaswani et al. 2017), named
 * after HF's modules: `BertSelfAttention`, `BertSelfOutput`, `BertIntermediate`, `BertOutput`.
 */

/** What every layer of one forward pass shares. */
export interface ForwardPass {
  batchSize: number;
  length: number;
  hiddenSize: number;
  heads: number;
  layerNormEps: number;
  hiddenDropout: number;
  attentionDropout: number;
  training: boolean;
  /** Seeds for the dropout masks, drawn in the order the layers use them. */
  seed: () => number;
}

/**
 * `x = norm(x + attention(x)); x = norm(x + feedForward(x))`. `scoreBias` is added to every
 * head's scores: padding masked out, plus MPNet's relative position bias.
 */
export function encoderLayer(x: tf.Tensor, layer: LayerWeights, scoreBias: tf.Tensor, pass: ForwardPass): tf.Tensor {
  const context = selfAttention(x, layer, scoreBias, pass); // [batch, seq, hidden]
  x = addAndNorm(x, context, layer.attentionOutput, layer.attentionNorm, pass); // [batch, seq, hidden]
  const inner = intermediate(x, layer.intermediate); // [batch, seq, intermediate]
  return addAndNorm(x, inner, layer.output, layer.outputNorm, pass); // [batch, seq, hidden]
}

/** `BertSelfAttention`: multi-head scaled dot-product attention, the heads' contexts concatenated. */
export function selfAttention(x: tf.Tensor, layer: LayerWeights, scoreBias: tf.Tensor, pass: ForwardPass): tf.Tensor {
  const { batchSize, length, hiddenSize, heads } = pass;
  const headSize = hiddenSize / heads;
  const { query, key, value } = layer;
  // [batch, seq, hidden] → [batch, heads, seq, head]
  const split = (t: tf.Tensor) => t.reshape([batchSize, length, heads, headSize]).transpose([0, 2, 1, 3]);
  const queries = split(linear(x, query.weight, query.bias));
  const keys = split(linear(x, key.weight, key.bias));
  const values = split(linear(x, value.weight, value.bias));
  const scaled = tf.div(tf.matMul(queries, keys, false, true), Math.sqrt(headSize)); // [batch, heads, seq, seq]
  const scores = tf.add(scaled, scoreBias); // [batch, heads, seq, seq]
  const probabilities = dropout(tf.softmax(scores, -1), pass.attentionDropout, pass.training, pass.seed);
  const context = tf.matMul(probabilities, values); // [batch, heads, seq, head]
  return context.transpose([0, 2, 1, 3]).reshape([batchSize, length, hiddenSize]); // [batch, seq, hidden]
}

/** `BertIntermediate`: the position-wise feed-forward network's widening with GELU. */
export function intermediate(x: tf.Tensor, dense: LinearWeights): tf.Tensor {
  return gelu(linear(x, dense.weight, dense.bias)); // [batch, seq, intermediate]
}

/**
 * `BertSelfOutput` and `BertOutput`: project `sublayer` back to the hidden size, dropout,
 * add the residual `x`, LayerNorm (post-norm, as BERT: the norm comes after the sum).
 */
export function addAndNorm(
  x: tf.Tensor,
  sublayer: tf.Tensor,
  dense: LinearWeights,
  norm: LayerNormWeights,
  pass: ForwardPass,
): tf.Tensor {
  const projected = dropout(linear(sublayer, dense.weight, dense.bias), pass.hiddenDropout, pass.training, pass.seed);
  return layerNorm(tf.add(x, projected), norm.weight, norm.bias, pass.layerNormEps); // [batch, seq, hidden]
}
