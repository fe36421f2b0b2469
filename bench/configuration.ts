import type { TokenBatch } from "../src/model/batch.js";
import { defaultConfig } from "../src/model/config.js";
import type { Random } from "../src/util/random.js";

/** The benchmark's encoder and batch, one definition for `bench.ts`, `step-memory.ts` and `step-time.ts` (and, by value, `torch_bench.py`). */
export const shape = { hidden: 256, layers: 4, heads: 4, intermediate: 1024, tokens: 32, batch: 32, vocab: 30522 };

export const config = defaultConfig({
  vocabSize: shape.vocab,
  hiddenSize: shape.hidden,
  numHiddenLayers: shape.layers,
  numAttentionHeads: shape.heads,
  intermediateSize: shape.intermediate,
  maxPositionEmbeddings: 64,
});

/** A batch of the benchmark's shape: random ids, no padding. */
export function benchBatch(random: Random): TokenBatch {
  const size = shape.batch * shape.tokens;
  return {
    batchSize: shape.batch,
    length: shape.tokens,
    inputIds: Int32Array.from({ length: size }, () => 1 + random.integer(shape.vocab - 1)),
    tokenTypeIds: new Int32Array(size),
    attentionMask: new Int32Array(size).fill(1),
  };
}
