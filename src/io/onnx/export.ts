import * as path from "node:path";
import { probeSentences } from "../probe-sentences.js";
import type { SentenceEncoder } from "../../model/sentence-encoder.js";
import { BabelbedError } from "../../util/errors.js";
import { loadOnnxRuntime, type RuntimeLoader } from "./engine.js";
import { externalDataFile, type OnnxFiles, protobufLimit, writeOnnxModel } from "./external-data.js";
import { onnxFeeds } from "./runtime.js";
import { buildTransformerModel } from "./sentence-graph.js";
import { takesTokenTypes } from "./transformer-graph.js";

/** Where sentence-transformers' ONNX backend (`SentenceTransformer(dir, backend="onnx")`) looks. */
export const onnxModelPath = path.join("onnx", "model.onnx");
/** The weights of a model over protobuf's 2 GiB, beside the model, where onnxruntime and optimum look for them. */
export const onnxDataPath = externalDataFile(onnxModelPath);

/**
 * Writes `onnx/model.onnx` (the Transformer module: `last_hidden_state` `[batch, seq, hidden]`)
 * into an exported directory, its weights in `onnx/model.onnx_data` when they are over
 * `externalDataAbove` bytes (default, and at most: protobuf's limit, just under 2 GiB).
 */
export async function writeOnnxExport(
  encoder: SentenceEncoder,
  dir: string,
  externalDataAbove = protobufLimit,
): Promise<OnnxFiles> {
  return writeOnnxModel(buildTransformerModel(encoder), path.join(dir, onnxModelPath), externalDataAbove);
}

/**
 * Reads `onnx/model.onnx` back through onnxruntime (from its path, so that external data is found
 * beside it) and compares its hidden states with the model's (tfjs) on probe sentences, padding
 * included. Returns the largest absolute difference, or undefined where onnxruntime cannot load
 * (the file is still written; the caller says so).
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
 * one line for the log. A model over protobuf's 2 GiB gets its weights in `onnx/model.onnx_data`.
 */
export async function onnxExportNote(
  encoder: SentenceEncoder,
  dir: string,
  externalDataAbove = protobufLimit,
): Promise<string> {
  const files = await writeOnnxExport(encoder, dir, externalDataAbove);
  const written =
    files.data === undefined ? `wrote ${onnxModelPath}` : `wrote ${onnxModelPath} with its weights in ${onnxDataPath}`;
  const difference = await verifyOnnxExport(encoder, dir);
  return difference === undefined
    ? `${written}; not read back: onnxruntime-node cannot load here`
    : `${written}; read back through onnxruntime, hidden states within ${difference.toExponential(1)}`;
}
