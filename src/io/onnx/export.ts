import * as path from "node:path";
import { probeSentences } from "../probe-sentences.js";
import type { SentenceEncoder } from "../../model/sentence-encoder.js";
import { BabelbedError } from "../../util/errors.js";
import { writeFileAtomic } from "../../util/files.js";
import { loadOnnxRuntime, type RuntimeLoader } from "./engine.js";
import { onnxFeeds } from "./runtime.js";
import { onnxSizeProblem, transformerModel } from "./sentence-graph.js";
import { takesTokenTypes } from "./transformer-graph.js";

/** Where sentence-transformers' ONNX backend (`SentenceTransformer(dir, backend="onnx")`) looks. */
export const onnxModelPath = path.join("onnx", "model.onnx");

/** Writes `onnx/model.onnx` (the Transformer module: `last_hidden_state` `[batch, seq, hidden]`) into an exported directory. */
export async function writeOnnxExport(encoder: SentenceEncoder, dir: string): Promise<string> {
  const problem = onnxSizeProblem(encoder);
  if (problem !== undefined) throw new BabelbedError(`${path.join(dir, onnxModelPath)}: not written: ${problem}`, 1);
  const file = path.join(dir, onnxModelPath);
  await writeFileAtomic(file, transformerModel(encoder));
  return file;
}

/**
 * Reads `onnx/model.onnx` back through onnxruntime and compares its hidden states with the
 * model's (tfjs) on probe sentences, padding included. Returns the largest absolute difference,
 * or undefined where onnxruntime cannot load (the file is still written; the caller says so).
 */
export async function verifyOnnxExport(
  encoder: SentenceEncoder,
  dir: string,
  tolerance = 1e-5,
  loader?: RuntimeLoader,
): Promise<number | undefined> {
  const runtime = await loadOnnxRuntime(loader);
  if (runtime instanceof Error) return undefined;
  const file = path.join(dir, onnxModelPath);
  const session = await runtime.InferenceSession.create(file);
  try {
    const batch = encoder.batch(probeSentences);
    const feeds = onnxFeeds(runtime, batch, takesTokenTypes(encoder.transformer.config));
    const result = await session.run(feeds);
    const actual = result.last_hidden_state;
    if (actual === undefined)
      throw new BabelbedError(`${file}: no output named last_hidden_state; the export is wrong`, 1);
    const expectedTensor = encoder.transformer.forward(batch);
    const expected = expectedTensor.dataSync();
    expectedTensor.dispose();
    const values = actual.data as Float32Array;
    if (values.length !== expected.length) {
      throw new BabelbedError(
        `${file}: last_hidden_state has ${actual.dims.join("×")} values, the model ${[batch.batchSize, batch.length, encoder.transformer.config.hiddenSize].join("×")}; the export is wrong`,
        1,
      );
    }
    let largest = 0;
    for (let index = 0; index < values.length; index++)
      largest = Math.max(largest, Math.abs(values[index]! - expected[index]!));
    if (!(largest <= tolerance)) {
      throw new BabelbedError(
        `${file}: onnxruntime's hidden states differ from the model's by ${largest} (more than ${tolerance}); the export is wrong`,
        1,
      );
    }
    return largest;
  } finally {
    await session.release();
  }
}

/**
 * Writes `onnx/model.onnx` into an exported sentence-transformers directory and reads it back:
 * one line for the log. A model too large for one protobuf file is exported without it.
 */
export async function onnxExportNote(encoder: SentenceEncoder, dir: string): Promise<string> {
  const problem = onnxSizeProblem(encoder);
  if (problem !== undefined) return `warning: no ${onnxModelPath}: ${problem}`;
  await writeOnnxExport(encoder, dir);
  const difference = await verifyOnnxExport(encoder, dir);
  return difference === undefined
    ? `wrote ${onnxModelPath}; not read back: onnxruntime-node cannot load here`
    : `wrote ${onnxModelPath}; read back through onnxruntime, hidden states within ${difference.toExponential(1)}`;
}
