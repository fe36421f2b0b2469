import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { loadSentenceEncoder, saveSentenceEncoder } from "../src/io/encoder-checkpoint.js";
import { loadOnnxRuntime } from "../src/io/onnx/engine.js";
import type { OnnxSession } from "../src/io/onnx/runtime.js";
import { onnxExportNote, onnxModelPath, verifyOnnxExport } from "../src/io/onnx/export.js";
import type { TokenBatch } from "../src/model/batch.js";
import { l2Normalize } from "../src/model/layers.js";
import { pool } from "../src/model/pooling.js";
import type { SentenceEncoder } from "../src/model/sentence-encoder.js";
import { useBackend } from "./helpers/backends.js";
import { fixturesRoot, maxAbsDifference, skipWithoutFixtures } from "./helpers/fixtures.js";
import { fixtureBatch, hubFixtures, loadHubExpected } from "./helpers/hub-fixtures.js";

const runtime = await loadOnnxRuntime();
const skip =
  skipWithoutFixtures || (runtime instanceof Error ? `onnxruntime-node cannot load here: ${runtime.message}` : false);
const ort = runtime as Exclude<typeof runtime, Error>;

/**
 * What `SentenceTransformer(dir, backend="onnx")` does with the file: the Transformer module in
 * onnxruntime (output 0 is the token embeddings), Pooling, Dense and Normalize after it.
 */
async function vectorsThroughFile(
  session: OnnxSession,
  encoder: SentenceEncoder,
  batch: TokenBatch,
): Promise<number[][]> {
  const shape = [batch.batchSize, batch.length];
  const int64 = (values: Int32Array) =>
    new ort.Tensor(
      "int64",
      BigInt64Array.from(values, (value) => BigInt(value)),
      shape,
    );
  const all = {
    input_ids: int64(batch.inputIds),
    attention_mask: int64(batch.attentionMask),
    token_type_ids: int64(batch.tokenTypeIds),
  };
  // Feeds only what the graph takes, as optimum does.
  const feeds = Object.fromEntries(session.inputNames.map((name: string) => [name, all[name as keyof typeof all]]));
  const output = (await session.run(feeds))[session.outputNames[0]!]!;
  return tf.tidy(() => {
    const hidden = tf.tensor3d(output.data as Float32Array, output.dims as [number, number, number]);
    let vectors = pool(hidden, tf.tensor2d(batch.attentionMask, shape as [number, number], "int32"), encoder.pooling);
    for (const dense of encoder.dense) vectors = dense.forward(vectors);
    return (encoder.normalize ? l2Normalize(vectors) : vectors).arraySync();
  });
}

for (const name of hubFixtures) {
  test(`${name}: the exported onnx/model.onnx gives sentence-transformers' vectors within 1e-5 through onnxruntime`, {
    skip,
  }, async () => {
    await useBackend("wasm");
    const expected = loadHubExpected(name);
    const encoder = await loadSentenceEncoder(path.join(fixturesRoot, name));
    const dir = await mkdtemp(path.join(tmpdir(), "babelbed-onnx-export-"));
    try {
      await saveSentenceEncoder(encoder, dir);
      const note = await onnxExportNote(encoder, dir);
      assert.match(note, /^wrote onnx\/model\.onnx; read back through onnxruntime, hidden states within \d/);
      const session = await ort.InferenceSession.create(path.join(dir, onnxModelPath));
      try {
        const tokenTypes = encoder.transformer.config.modelType === "bert" ? ["token_type_ids"] : [];
        assert.deepEqual([...session.inputNames].sort(), ["attention_mask", "input_ids", ...tokenTypes].sort());
        assert.deepEqual(session.outputNames, ["last_hidden_state"]);
        let worst = 0;
        for (let start = 0; start < expected.sentences.length; start += 8) {
          const vectors = await vectorsThroughFile(session, encoder, fixtureBatch(encoder, expected, start, start + 8));
          worst = Math.max(worst, maxAbsDifference(vectors, expected.embeddings.slice(start, start + 8)));
        }
        assert.ok(worst <= 1e-5, `vectors through the file differ by ${worst}`);
      } finally {
        await session.release();
      }
    } finally {
      encoder.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });
}

test("the read-back check fails when the file's weights are not the model's", { skip }, async () => {
  await useBackend("wasm");
  const encoder = await loadSentenceEncoder(path.join(fixturesRoot, "tiny-bert"));
  const other = await loadSentenceEncoder(path.join(fixturesRoot, "tiny-bert"));
  const dir = await mkdtemp(path.join(tmpdir(), "babelbed-onnx-export-"));
  try {
    // A different model written under this one's name: one LayerNorm gain nudged by 1e-3.
    const gain = other.transformer.parameters.get("encoder.layer.1.output.LayerNorm.weight")!;
    gain.assign(tf.tidy(() => tf.add(gain, 1e-3)));
    await saveSentenceEncoder(other, dir);
    await onnxExportNote(other, dir);
    await assert.rejects(
      verifyOnnxExport(encoder, dir),
      /hidden states differ from the model's by .* the export is wrong/,
    );
  } finally {
    encoder.dispose();
    other.dispose();
    await rm(dir, { recursive: true, force: true });
  }
});
