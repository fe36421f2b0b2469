import * as tf from "@tensorflow/tfjs";

/** sentence-transformers' pooling modes, in the order its legacy flags concatenate them. */
export const poolingModes = ["cls", "max", "mean", "mean_sqrt_len_tokens", "weightedmean", "lasttoken"] as const;
export type PoolingMode = (typeof poolingModes)[number];

/** One mode, or several whose vectors are concatenated in the listed order. */
export type Pooling = PoolingMode | readonly PoolingMode[];

export function poolingList(pooling: Pooling): PoolingMode[] {
  return typeof pooling === "string" ? [pooling] : [...pooling];
}

/** `mean`, `["cls", "max"]` → `cls+max`: how messages and summaries show a pooling. */
export function poolingLabel(pooling: Pooling): string {
  return poolingList(pooling).join("+");
}

export function isPoolingMode(value: unknown): value is PoolingMode {
  return typeof value === "string" && (poolingModes as readonly string[]).includes(value);
}

/**
 * Token vectors to one sentence vector `[batch, hidden * modes]`, as sentence-transformers'
 * `Pooling` (Reimers & Gurevych 2019) computes each mode, concatenated in the listed order.
 */
export function pool(hidden: tf.Tensor3D, attentionMask: tf.Tensor2D, pooling: Pooling): tf.Tensor2D {
  return tf.tidy(() => {
    const parts = poolingList(pooling).map((mode) => poolOne(hidden, attentionMask, mode));
    return (parts.length === 1 ? parts[0]! : tf.concat(parts, 1)) as tf.Tensor2D;
  });
}

function poolOne(hidden: tf.Tensor3D, attentionMask: tf.Tensor2D, mode: PoolingMode): tf.Tensor2D {
  const [batchSize, length, width] = hidden.shape;
  const mask = attentionMask.toFloat().expandDims(-1); // [batch, seq, 1]
  const masked = (weights: tf.Tensor) => tf.sum(tf.mul(hidden, weights), 1); // [batch, hidden]
  switch (mode) {
    case "cls":
      return hidden.slice([0, 0, 0], [batchSize, 1, width]).squeeze([1]) as tf.Tensor2D;
    case "max": {
      // Padding is pushed far below any activation so it never wins the max.
      const filled = tf.where(tf.greater(mask, 0), hidden, tf.fill(hidden.shape, -1e9));
      return tf.max(filled, 1) as tf.Tensor2D;
    }
    case "mean":
      return tf.div(masked(mask), tf.maximum(tf.sum(mask, 1), 1e-9)) as tf.Tensor2D;
    case "mean_sqrt_len_tokens":
      return tf.div(masked(mask), tf.sqrt(tf.maximum(tf.sum(mask, 1), 1e-9))) as tf.Tensor2D;
    case "weightedmean": {
      // Token i (from 1) weighs i: later tokens count more, as in SGPT (Muennighoff 2022).
      const weights = tf.mul(mask, tf.range(1, length + 1).reshape([1, length, 1])); // [batch, seq, 1]
      return tf.div(masked(weights), tf.maximum(tf.sum(weights, 1), 1e-9)) as tf.Tensor2D;
    }
    case "lasttoken": {
      // The last position whose mask is 1 (0 when none is), times its mask, as sentence-transformers gathers it.
      const last = tf.max(tf.mul(attentionMask.toInt(), tf.range(0, length, 1, "int32").reshape([1, length])), 1); // [batch]
      const pick = tf.mul(tf.oneHot(last, length).toFloat().expandDims(-1), mask); // [batch, seq, 1]
      return masked(pick) as tf.Tensor2D;
    }
  }
}
