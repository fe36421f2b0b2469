import { defaultConfig } from "../src/model/config.js";

/** The benchmark's encoder and batch, one definition for `bench.ts` and `step-memory.ts` (and, by value, `torch_bench.py`). */
export const shape = { hidden: 256, layers: 4, heads: 4, intermediate: 1024, tokens: 32, batch: 32, vocab: 30522 };

export const config = defaultConfig({
  vocabSize: shape.vocab,
  hiddenSize: shape.hidden,
  numHiddenLayers: shape.layers,
  numAttentionHeads: shape.heads,
  intermediateSize: shape.intermediate,
  maxPositionEmbeddings: 64,
});
