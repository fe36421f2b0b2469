import * as tf from "@tensorflow/tfjs";
import { blockShapes, type Architecture, type BlockNames } from "./blocks.js";
import type { TransformerConfig } from "./config.js";
import { embeddingNames } from "./weights.js";

/**
 * DistilBERT (Sanh et al. 2019) as HF's `DistilBertModel`: BERT's post-LayerNorm blocks under
 * `transformer.layer.N` with its own names, no token types and no pooler.
 */

function distilbertBlock(layer: number): BlockNames {
  const prefix = `transformer.layer.${layer}.`;
  return {
    query: `${prefix}attention.q_lin`,
    key: `${prefix}attention.k_lin`,
    value: `${prefix}attention.v_lin`,
    attentionOutput: `${prefix}attention.out_lin`,
    attentionNorm: `${prefix}sa_layer_norm`,
    intermediate: `${prefix}ffn.lin1`,
    output: `${prefix}ffn.lin2`,
    outputNorm: `${prefix}output_layer_norm`,
  };
}

const positionTable = embeddingNames.positions;

/** The Transformer paper's table: sin at even columns, cos at odd ones, of pos / 10000^(2⌊j/2⌋/dim). */
export function sinusoidalTable(positions: number, dimension: number): Float32Array {
  const table = new Float32Array(positions * dimension);
  for (let position = 0; position < positions; position++) {
    for (let column = 0; column < dimension; column++) {
      const angle = position / 10000 ** ((2 * Math.floor(column / 2)) / dimension);
      table[position * dimension + column] = column % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return table;
}

export const distilbert: Architecture = {
  className: "DistilBertModel",
  parameterShapes: (config) => blockShapes(config, distilbertBlock, { tokenTypes: false, pooler: false }),
  block: distilbertBlock,
  wordPaddingIndex: (config) => config.padTokenId,
  // HF sets requires_grad=False on the sinusoidal table.
  frozen: (name, config) => name === positionTable && config.sinusoidalPositions === true,
  initialize(weights: Map<string, tf.Tensor>, config: TransformerConfig) {
    if (!config.sinusoidalPositions) return;
    weights.get(positionTable)?.dispose();
    const shape: [number, number] = [config.maxPositionEmbeddings, config.hiddenSize];
    weights.set(positionTable, tf.tensor2d(sinusoidalTable(...shape), shape));
  },
};
