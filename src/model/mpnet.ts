import * as tf from "@tensorflow/tfjs";
import { blockShapes, type Architecture, type BlockNames } from "./blocks.js";

/**
 * MPNet (Song et al. 2020) as HF's `MPNetModel`: BERT's blocks under other names, no token
 * types, and a learned bias per head for each bucket of relative distance, shared by all layers.
 */

/** HF's `compute_position_bias` always buckets with its default of 32, whatever the table's size. */
const bucketCount = 32;
const maxDistance = 128;

/**
 * T5-style bidirectional bucket of `relative = key - query`: half the buckets per direction,
 * exact for distances below a quarter of them, logarithmic up to `maxDistance`.
 */
export function relativePositionBucket(relative: number, buckets = bucketCount, distance = maxDistance): number {
  const half = Math.floor(buckets / 2);
  let n = -relative;
  let bucket = n < 0 ? half : 0;
  n = Math.abs(n);
  const maxExact = Math.floor(half / 2);
  if (n < maxExact) return bucket + n;
  // float32 as torch computes it, then truncation as `.to(torch.long)`.
  const scaled = Math.fround(Math.fround(Math.log(Math.fround(n / maxExact))) / Math.log(distance / maxExact));
  const large = maxExact + Math.trunc(Math.fround(scaled * (half - maxExact)));
  bucket += Math.min(large, half - 1);
  return bucket;
}

function mpnetBlock(layer: number): BlockNames {
  const prefix = `encoder.layer.${layer}.`;
  return {
    query: `${prefix}attention.attn.q`,
    key: `${prefix}attention.attn.k`,
    value: `${prefix}attention.attn.v`,
    attentionOutput: `${prefix}attention.attn.o`,
    attentionNorm: `${prefix}attention.LayerNorm`,
    intermediate: `${prefix}intermediate.dense`,
    output: `${prefix}output.dense`,
    outputNorm: `${prefix}output.LayerNorm`,
  };
}

const biasTable = "encoder.relative_attention_bias.weight";

export const mpnet: Architecture = {
  className: "MPNetModel",
  parameterShapes: (config) =>
    blockShapes(config, mpnetBlock, {
      tokenTypes: false,
      extra: [[biasTable, [config.relativeAttentionNumBuckets ?? bucketCount, config.numAttentionHeads]]],
      pooler: true,
    }),
  block: mpnetBlock,
  // HF fixes MPNet's padding_idx at 1, whatever pad_token_id says.
  wordPaddingIndex: () => 1,
  frozen: (name) => name.startsWith("pooler."),
  relativeAttentionBias: {
    table: biasTable,
    scores(table, length) {
      const buckets = new Int32Array(length * length);
      for (let query = 0; query < length; query++) {
        for (let key = 0; key < length; key++) buckets[query * length + key] = relativePositionBucket(key - query);
      }
      const values = tf.gather(table, tf.tensor2d(buckets, [length, length], "int32")); // [seq, seq, heads]
      return values.transpose([2, 0, 1]).expandDims(0); // [1, heads, seq, seq]
    },
  },
};
