import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import onnxProto from "onnx-proto";
import { loadSentenceEncoder, saveSentenceEncoder } from "../src/io/encoder-checkpoint.js";
import { writeModelCard } from "../src/io/model-card.js";
import { loadOnnxRuntime, OnnxEngine, type OnnxRuntime, temporaryPrefix } from "../src/io/onnx/engine.js";
import { onnxDataPath, onnxExportNote, onnxModelPath, verifyOnnxExport } from "../src/io/onnx/export.js";
import { needsExternalData } from "../src/io/onnx/external-data.js";
import { buildTransformerModel, transformerModel } from "../src/io/onnx/sentence-graph.js";
import { useBackend } from "./helpers/backends.js";
import { fixturesRoot, maxAbsDifference, skipWithoutFixtures } from "./helpers/fixtures.js";
import { fixtureBatch, loadHubExpected } from "./helpers/hub-fixtures.js";

const { onnx } = onnxProto;

const runtime = await loadOnnxRuntime();
const skip =
  skipWithoutFixtures || (runtime instanceof Error ? `onnxruntime-node cannot load here: ${runtime.message}` : false);
const ort = runtime as OnnxRuntime;

/** `location`, `offset` and `length` of an external initializer, as numbers where they are numbers. */
function entries(tensor: onnxProto.onnx.ITensorProto): Record<string, string> {
  return Object.fromEntries((tensor.externalData ?? []).map((entry) => [entry.key!, entry.value!]));
}

async function engineFolders(): Promise<string[]> {
  return (await readdir(tmpdir())).filter((name) => name.startsWith("babelbed-onnx-engine-")).sort();
}

test("an export forced past the threshold keeps its weights in onnx/model.onnx_data: aligned, the model's bytes, read back within 1e-5", {
  skip,
}, async () => {
  await useBackend("wasm");
  // MPNet: float tables and the int64 relative-position buckets both go to the data file.
  const encoder = await loadSentenceEncoder(path.join(fixturesRoot, "tiny-mpnet"));
  const dir = await mkdtemp(path.join(tmpdir(), "babelbed-onnx-external-"));
  try {
    await saveSentenceEncoder(encoder, dir);
    const note = await onnxExportNote(encoder, dir, 0);
    assert.match(
      note,
      /^wrote onnx\/model\.onnx with its weights in onnx\/model\.onnx_data; read back through onnxruntime, hidden states within \d/,
    );
    const difference = await verifyOnnxExport(encoder, dir);
    assert.ok(difference !== undefined && difference <= 1e-5, `hidden states differ by ${difference}`);

    const modelFile = path.join(dir, onnxModelPath);
    const data = await readFile(path.join(dir, onnxDataPath));
    const model = onnx.ModelProto.decode(await readFile(modelFile));
    const whole = onnx.ModelProto.decode(transformerModel(encoder));
    const wholeBytes = new Map((whole.graph?.initializer ?? []).map((tensor) => [tensor.name, tensor.rawData!]));
    let end = 0;
    let external = 0;
    for (const tensor of model.graph?.initializer ?? []) {
      const expected = wholeBytes.get(tensor.name)!;
      if (tensor.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) {
        assert.ok(expected.byteLength < 1024, `${tensor.name}: ${expected.byteLength} bytes stayed inline`);
        assert.deepEqual(tensor.rawData, expected);
        continue;
      }
      external++;
      const { location, offset, length } = entries(tensor);
      assert.equal(location, "model.onnx_data");
      assert.equal(tensor.rawData?.byteLength ?? 0, 0, `${tensor.name} has raw data besides its location`);
      const [start, size] = [Number(offset), Number(length)];
      assert.equal(start % 4096, 0, `${tensor.name}: offset ${start} is not page-aligned`);
      assert.ok(start >= end, `${tensor.name} overlaps the tensor before it`);
      assert.equal(size, expected.byteLength);
      assert.ok(Buffer.from(expected).equals(data.subarray(start, start + size)), `${tensor.name}: other bytes`);
      end = start + size;
    }
    assert.ok(external >= 10, `only ${external} tensors went to the data file`);
    assert.equal(data.byteLength, end, "the data file ends with its last tensor");
    const modelSize = (await stat(modelFile)).size;
    assert.ok(modelSize < 64 * 1024 && modelSize * 50 < data.byteLength, `model.onnx has ${modelSize} bytes`);

    await writeModelCard(dir);
    assert.match(await readFile(path.join(dir, "README.md"), "utf8"), /`onnx\/model\.onnx_data`/);

    // Without the data file onnxruntime cannot build the session: the weights really are read from it.
    await writeFile(path.join(dir, onnxDataPath), data.subarray(0, 4096));
    await assert.rejects(verifyOnnxExport(encoder, dir));

    // Back under the threshold: one self-contained file, and no stale data file beside it.
    assert.match(await onnxExportNote(encoder, dir), /^wrote onnx\/model\.onnx; read back through onnxruntime/);
    assert.equal(existsSync(path.join(dir, onnxDataPath)), false, "the stale model.onnx_data is removed");
    assert.ok((await stat(modelFile)).size > data.byteLength);
    await writeModelCard(dir);
    assert.doesNotMatch(await readFile(path.join(dir, "README.md"), "utf8"), /model\.onnx_data/);
  } finally {
    encoder.dispose();
    await rm(dir, { recursive: true, force: true });
  }
});

test("the ONNX engine past the threshold runs from external data in a temporary folder, with tfjs' vectors, and removes it", {
  skip,
}, async () => {
  await useBackend("wasm");
  const expected = loadHubExpected("tiny-xlmr");
  const encoder = await loadSentenceEncoder(path.join(fixturesRoot, "tiny-xlmr"));
  const folders = async () => (await readdir(tmpdir())).filter((name) => name.startsWith(temporaryPrefix)).sort();
  const foldersBefore = await folders();
  const inMemory = await OnnxEngine.create(encoder, ort);
  const engine = await OnnxEngine.create(encoder, ort, undefined, 0);
  try {
    assert.equal(inMemory.directory, undefined, "below the threshold the model stays in memory");
    if (process.platform !== "win32") {
      // The session has read or mapped the weights: the folder goes at once, and a killed run leaves none.
      assert.equal(engine.directory, undefined);
      assert.deepEqual(await folders(), foldersBefore, "no temporary folder is left once the session exists");
    }
    const batch = fixtureBatch(encoder, expected, 0, 30);
    const vectors = await engine.vectors(batch);
    const tfjs = encoder.forward(batch);
    const difference = maxAbsDifference(Array.from(vectors), Array.from(tfjs.dataSync()));
    tfjs.dispose();
    assert.ok(difference <= 1e-5, `vectors differ from the tfjs path's by ${difference}`);
    assert.ok(maxAbsDifference(Array.from(vectors), Array.from(await inMemory.vectors(batch))) <= 1e-6);
  } finally {
    await inMemory.release();
    await engine.release();
    encoder.dispose();
  }
  assert.deepEqual(await folders(), foldersBefore, "release leaves no temporary folder");
});

test("an engine whose session fails leaves no temporary folder; a threshold below zero is refused", {
  skip: skipWithoutFixtures,
}, async () => {
  await useBackend("wasm");
  const encoder = await loadSentenceEncoder(path.join(fixturesRoot, "tiny-distilbert"));
  try {
    const failing = {
      InferenceSession: {
        create: async () => {
          throw new Error("no session here");
        },
      },
    } as unknown as OnnxRuntime;
    const before = await engineFolders();
    await assert.rejects(OnnxEngine.create(encoder, failing, undefined, 0), /no session here/);
    assert.deepEqual(await engineFolders(), before);
    assert.throws(
      () => needsExternalData(buildTransformerModel(encoder), -1),
      /externalDataAbove: -1 is no byte count/,
    );
  } finally {
    encoder.dispose();
  }
});
