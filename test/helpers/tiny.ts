import type * as tf from "@tensorflow/tfjs";
import { defaultConfig, type TransformerConfig } from "../../src/model/config.js";
import { padBatch, type TokenBatch } from "../../src/model/batch.js";
import { Transformer } from "../../src/model/transformer.js";
import type { Random } from "../../src/util/random.js";

/** A model small enough for finite differences and many-step tests. */
export function tinyConfig(overrides: Partial<TransformerConfig> = {}): TransformerConfig {
  return defaultConfig({
    vocabSize: 40,
    hiddenSize: 8,
    numHiddenLayers: 2,
    numAttentionHeads: 2,
    intermediateSize: 12,
    maxPositionEmbeddings: 16,
    hiddenDropoutProb: 0,
    attentionProbsDropoutProb: 0,
    // A wide initial range so that gradients are far above float32 rounding in finite differences.
    initializerRange: 0.5,
    ...overrides,
  });
}

export function tinyTransformer(seed = 1, overrides: Partial<TransformerConfig> = {}): Transformer {
  return Transformer.initialize(tinyConfig(overrides), seed);
}

/** Random token batches with ragged lengths (so padding and masks are exercised). */
export function randomBatch(random: Random, vocabSize: number, batchSize: number, maxLength: number): TokenBatch {
  const encodings = Array.from({ length: batchSize }, () => {
    const length = 2 + random.integer(maxLength - 1);
    const inputIds = [1, ...Array.from({ length: length - 2 }, () => 3 + random.integer(vocabSize - 3)), 2];
    return { inputIds, tokenTypeIds: inputIds.map(() => 0) };
  });
  return padBatch(encodings, 0);
}

export function readScalar(tensor: tf.Tensor): number {
  return tensor.dataSync()[0]!;
}
