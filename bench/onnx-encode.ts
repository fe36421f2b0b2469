import * as tf from "@tensorflow/tfjs";
import { medianSeconds } from "./timing.js";
import { loadOnnxRuntime, OnnxEngine } from "../src/io/onnx/engine.js";
import type { TokenBatch } from "../src/model/batch.js";
import { pool } from "../src/model/pooling.js";
import type { Transformer } from "../src/model/transformer.js";

/**
 * The ONNX engine on the bench's model and batch (mean pooling, as the tfjs figure): sentences/s
 * on one thread and on `threads`, the cost of building the graph and session from the current
 * weights (what evaluation during training pays each time), and the sentence count from which
 * that rebuild pays for itself against tfjs at `tfjsRate`. Undefined where onnxruntime cannot load.
 */
export async function onnxEncodeFigures(
  model: Transformer,
  batch: TokenBatch,
  threads: number,
  tfjsRate: number,
  repeats: number,
) {
  const runtime = await loadOnnxRuntime();
  if (runtime instanceof Error) return { unavailable: runtime.message.split("\n")[0]! };
  const parts = {
    transformer: model,
    pooling: "mean" as const,
    dense: [],
    normalize: false,
    dimension: model.config.hiddenSize,
  };
  const rate = async (count: number) => {
    const engine = await OnnxEngine.create(parts, runtime, count);
    try {
      return batch.batchSize / (await medianSeconds(() => engine.vectors(batch), 2, repeats));
    } finally {
      await engine.release();
    }
  };
  // Correctness first: a fast wrong engine is no figure.
  const check = await OnnxEngine.create(parts, runtime, threads);
  const onnxVectors = await check.vectors(batch);
  await check.release();
  const tfjsVectors = tf
    .tidy(() =>
      pool(model.forward(batch), tf.tensor2d(batch.attentionMask, [batch.batchSize, batch.length], "int32"), "mean"),
    )
    .dataSync();
  let difference = 0;
  onnxVectors.forEach((value, index) => {
    difference = Math.max(difference, Math.abs(value - tfjsVectors[index]!));
  });

  const started = performance.now();
  const rebuilt = await OnnxEngine.create(parts, runtime, threads);
  const rebuildSeconds = (performance.now() - started) / 1000;
  await rebuilt.release();
  const oneThread = await rate(1);
  const allThreads = await rate(threads);
  // Rebuilding pays off once the time it saves per sentence adds up to its own cost.
  const savedPerSentence = 1 / tfjsRate - 1 / allThreads;
  return {
    engine: `onnxruntime-node ${runtime.env.versions.common ?? ""} (CPU)`.replace("  ", " "),
    sentencesPerSecond: allThreads,
    threads,
    sentencesPerSecondOneThread: oneThread,
    speedupOverTfjs: allThreads / tfjsRate,
    maxAbsDifferenceFromTfjs: difference,
    rebuildSeconds,
    rebuildPaysOffFromSentences: savedPerSentence > 0 ? Math.ceil(rebuildSeconds / savedPerSentence) : undefined,
    note: "rebuildSeconds: graph written from the current weights plus session creation, paid at each evaluation during training",
  };
}
