import type * as tf from "@tensorflow/tfjs";
import type { TransformerConfig } from "./config.js";
import { embeddingNames, poolerName, type BlockNames } from "./weights.js";

export type { BlockNames } from "./weights.js";

/**
 * What differs between the BERT-like encoders babelbed runs. The block math (attention,
 * residual, LayerNorm, GELU feed-forward) is the same for all of them; names, token types,
 * positions and MPNet's relative attention bias are not.
 */
export interface Architecture {
  /** The class name written to `architectures` in config.json. */
  className: string;
  /** Every parameter with its HF name and shape (Linear weights `[out, in]`). */
  parameterShapes(config: TransformerConfig): [string, number[]][];
  block(layer: number): BlockNames;
  /** The word embeddings row HF's nn.Embedding(padding_idx=...) starts at zero. */
  wordPaddingIndex(config: TransformerConfig): number;
  /** Parameters that never train: the pooler, which sentence pooling never uses, and fixed tables. */
  frozen(name: string, config: TransformerConfig): boolean;
  /** Replaces initial values where HF does not draw N(0, range), e.g. sinusoidal positions. */
  initialize?(weights: Map<string, tf.Tensor>, config: TransformerConfig): void;
  /** MPNet's relative position bias: the HF name of its table, and the scores it adds to every layer. */
  relativeAttentionBias?: RelativeAttentionBias;
}

export interface RelativeAttentionBias {
  /** HF name of the table `[buckets, heads]`. */
  table: string;
  /** Added to every layer's attention scores, `[1, heads, seq, seq]`; inside a tidy. */
  scores(table: tf.Tensor2D, length: number): tf.Tensor;
}

/** BERT's block names, which RoBERTa and XLM-RoBERTa share. */
export function bertBlock(layer: number): BlockNames {
  const prefix = `encoder.layer.${layer}.`;
  return {
    query: `${prefix}attention.self.query`,
    key: `${prefix}attention.self.key`,
    value: `${prefix}attention.self.value`,
    attentionOutput: `${prefix}attention.output.dense`,
    attentionNorm: `${prefix}attention.output.LayerNorm`,
    intermediate: `${prefix}intermediate.dense`,
    output: `${prefix}output.dense`,
    outputNorm: `${prefix}output.LayerNorm`,
  };
}

/**
 * Shapes of a post-LayerNorm encoder with the given names: embeddings (token types when the
 * config has them), each block, then `extra` (MPNet's bias table) and the pooler when given.
 */
export function blockShapes(
  config: TransformerConfig,
  block: (layer: number) => BlockNames,
  options: { tokenTypes: boolean; extra?: [string, number[]][]; pooler: boolean },
): [string, number[]][] {
  const { hiddenSize: h, intermediateSize: inner } = config;
  const shapes: [string, number[]][] = [
    [embeddingNames.words, [config.vocabSize, h]],
    [embeddingNames.positions, [config.maxPositionEmbeddings, h]],
  ];
  if (options.tokenTypes) shapes.push([embeddingNames.tokenTypes, [config.typeVocabSize, h]]);
  shapes.push([`${embeddingNames.norm}.weight`, [h]], [`${embeddingNames.norm}.bias`, [h]]);
  for (let layer = 0; layer < config.numHiddenLayers; layer++) {
    const names = block(layer);
    const linear = (name: string, out: number, input: number): [string, number[]][] => [
      [`${name}.weight`, [out, input]],
      [`${name}.bias`, [out]],
    ];
    const norm = (name: string): [string, number[]][] => [
      [`${name}.weight`, [h]],
      [`${name}.bias`, [h]],
    ];
    shapes.push(
      ...linear(names.query, h, h),
      ...linear(names.key, h, h),
      ...linear(names.value, h, h),
      ...linear(names.attentionOutput, h, h),
      ...norm(names.attentionNorm),
      ...linear(names.intermediate, inner, h),
      ...linear(names.output, h, inner),
      ...norm(names.outputNorm),
    );
  }
  shapes.push(...(options.extra ?? []));
  if (options.pooler) shapes.push([`${poolerName}.weight`, [h, h]], [`${poolerName}.bias`, [h]]);
  return shapes;
}
