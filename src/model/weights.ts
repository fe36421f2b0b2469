import type * as tf from "@tensorflow/tfjs";
import type { LayerNormWeights, LinearWeights } from "./layers.js";

/**
 * Typed views of a `Transformer`'s parameters, so that the forward pass reads `layer.query.weight`
 * instead of looking names up. The views hold the very variables of the HF-named parameter map
 * (which checkpoints, optimizers and gradients keep using), so nothing is copied and an update
 * through either is seen by both.
 */

/** One post-LayerNorm encoder layer (HF's `BertLayer`). */
export interface LayerWeights {
  /** `BertSelfAttention`: the projections to queries, keys and values, `[hidden, hidden]` each. */
  query: LinearWeights;
  key: LinearWeights;
  value: LinearWeights;
  /** `BertSelfOutput`: the heads' concatenated contexts projected back, then add & norm. */
  attentionOutput: LinearWeights;
  attentionNorm: LayerNormWeights;
  /** `BertIntermediate`: the feed-forward network's widening, `[intermediate, hidden]`. */
  intermediate: LinearWeights;
  /** `BertOutput`: its narrowing back, `[hidden, intermediate]`, then add & norm. */
  output: LinearWeights;
  outputNorm: LayerNormWeights;
}

/** HF names (without `.weight`/`.bias`) of one layer's parts: what differs between architectures. */
export type BlockNames = { [Part in keyof LayerWeights]: string };

/** HF names of the embeddings, the same in every architecture babelbed reads. */
export const embeddingNames = {
  words: "embeddings.word_embeddings.weight",
  positions: "embeddings.position_embeddings.weight",
  tokenTypes: "embeddings.token_type_embeddings.weight",
  norm: "embeddings.LayerNorm",
} as const;

/** HF name (without `.weight`/`.bias`) of BERT's pooler dense layer. */
export const poolerName = "pooler.dense";

/** `BertEmbeddings` but the word table, which `Transformer.wordEmbeddings` keeps in blocks (`EmbeddingTable`). */
export interface EmbeddingWeights {
  positions: tf.Tensor2D; // [positions, hidden]
  /** Absent where the architecture has no token types (MPNet, DistilBERT). */
  tokenTypes?: tf.Tensor2D; // [types, hidden]
  norm: LayerNormWeights;
}

export interface TransformerWeights {
  embeddings: EmbeddingWeights;
  layers: LayerWeights[];
  /** MPNet's learned bias per bucket of relative distance and head, `[buckets, heads]`, shared by all layers. */
  relativeAttentionBias?: tf.Tensor2D;
  /** Absent in checkpoints saved with `add_pooling_layer=False`. */
  pooler?: LinearWeights;
}

/** Where an architecture keeps the parameters that are not the same everywhere. */
export interface WeightNames {
  layers: BlockNames[];
  relativeAttentionBias?: string;
}

/**
 * The typed views of `parameters` (HF name → variable). The constructor has checked every shape
 * against the architecture's list, so the ranks asserted here hold; a missing name is a bug.
 */
export function transformerWeights(parameters: Map<string, tf.Variable>, names: WeightNames): TransformerWeights {
  const tensor = (name: string): tf.Variable => {
    const variable = parameters.get(name);
    if (variable === undefined) throw new Error(`missing tensor ${name}`);
    return variable;
  };
  const matrix = (name: string) => tensor(name) as tf.Tensor2D;
  const vector = (name: string) => tensor(name) as tf.Tensor1D;
  const linear = (name: string): LinearWeights => ({ weight: matrix(`${name}.weight`), bias: vector(`${name}.bias`) });
  const norm = (name: string): LayerNormWeights => ({ weight: vector(`${name}.weight`), bias: vector(`${name}.bias`) });
  const layer = (block: BlockNames): LayerWeights => ({
    query: linear(block.query),
    key: linear(block.key),
    value: linear(block.value),
    attentionOutput: linear(block.attentionOutput),
    attentionNorm: norm(block.attentionNorm),
    intermediate: linear(block.intermediate),
    output: linear(block.output),
    outputNorm: norm(block.outputNorm),
  });
  const weights: TransformerWeights = {
    embeddings: { positions: matrix(embeddingNames.positions), norm: norm(embeddingNames.norm) },
    layers: names.layers.map(layer),
  };
  if (parameters.has(embeddingNames.tokenTypes)) weights.embeddings.tokenTypes = matrix(embeddingNames.tokenTypes);
  if (names.relativeAttentionBias !== undefined) weights.relativeAttentionBias = matrix(names.relativeAttentionBias);
  if (parameters.has(`${poolerName}.weight`)) weights.pooler = linear(poolerName);
  return weights;
}
