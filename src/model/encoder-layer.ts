import type * as tf from "@tensorflow/tfjs";
import { selfAttention } from "./attention.js";
import { dropout, linear, linearGelu, residualLayerNorm, type LayerNormWeights, type LinearWeights } from "./layers.js";
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
  const context = attention(x, layer, scoreBias, pass); // [batch, seq, hidden]
  x = addAndNorm(x, context, layer.attentionOutput, layer.attentionNorm, pass); // [batch, seq, hidden]
  const inner = linearGelu(x, layer.intermediate); // [batch, seq, intermediate], BertIntermediate
  return addAndNorm(x, inner, layer.output, layer.outputNorm, pass); // [batch, seq, hidden]
}

/** `BertSelfAttention`: multi-head scaled dot-product attention, Q, K and V from one matmul (see attention.ts). */
function attention(x: tf.Tensor, layer: LayerWeights, scoreBias: tf.Tensor, pass: ForwardPass): tf.Tensor {
  const { batchSize, length, hiddenSize, heads } = pass;
  const dropoutRate = pass.training ? pass.attentionDropout : 0;
  const seed = dropoutRate > 0 ? pass.seed() : 0;
  const shape = { batchSize, length, hiddenSize, heads, dropoutRate, seed };
  return selfAttention(x, layer.query, layer.key, layer.value, scoreBias, shape); // [batch, seq, hidden]
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
  return residualLayerNorm(x, projected, norm, pass.layerNormEps); // [batch, seq, hidden]
}
