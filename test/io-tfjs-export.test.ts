import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { bundleBrowserRuntime } from "../src/io/tfjs/bundle.js";
import { saveTfjsEncoder } from "../src/io/tfjs/layout.js";
import { checkModelJson } from "../src/io/tfjs/manifest.js";
import { loadTfjsDirectory, verifyTfjsExport } from "../src/io/tfjs/read-back.js";
import { configToJson } from "../src/model/config.js";
import { Dense } from "../src/model/dense.js";
import { SentenceEncoder } from "../src/model/sentence-encoder.js";
import { WordPieceCore, WordPieceTokenizer, parseVocab } from "../src/text/index.js";
import { BabelbedError } from "../src/util/errors.js";
import { tinyEncoder } from "./helpers/tiny-encoder.js";

/** A tiny encoder with a Dense (tanh) layer and Normalize on top. */
async function denseEncoder(): Promise<SentenceEncoder> {
  const base = await tinyEncoder(3);
  const hidden = base.transformer.config.hiddenSize;
  const dense = new Dense(
    tf.randomNormal([6, hidden], 0, 0.3, "float32", 5) as tf.Tensor2D,
    tf.randomNormal([6], 0, 0.1, "float32", 6) as tf.Tensor1D,
    "tanh",
  );
  return new SentenceEncoder({
    tokenizer: base.tokenizer,
    transformer: base.transformer,
    maxSeqLength: 24,
    pooling: "cls",
    dense: [dense],
    normalize: true,
  });
}

test("tfjs export: model.json's weights manifest matches the shards byte for byte, and tfjs' own decoder reads them", async () => {
  const work = await mkdtemp(path.join(tmpdir(), "babelbed-tfjs-"));
  const encoder = await denseEncoder();
  try {
    const output = path.join(work, "web");
    // 1 KiB shards, so that weights straddle shard boundaries as they do at 4 MB in real models.
    const summary = await saveTfjsEncoder(encoder, output, { shardBytes: 1024 });
    const model = checkModelJson(JSON.parse(await readFile(path.join(output, "model.json"), "utf8")), "model.json");
    assert.equal(model.weightsManifest.length, 1);
    const [group] = model.weightsManifest;
    const count = group!.paths.length;
    assert.ok(count > 3, `expected several shards, got ${count}`);
    assert.deepEqual(
      group!.paths,
      Array.from({ length: count }, (_, index) => `group1-shard${index + 1}of${count}.bin`),
    );
    assert.deepEqual(summary.shards, group!.paths);

    // Names, shapes and dtypes: every transformer tensor under its HF name, then the Dense layer.
    const expected = encoder.transformer.namedTensors();
    expected.set("dense.0.linear.weight", encoder.dense[0]!.weight.clone());
    expected.set("dense.0.linear.bias", encoder.dense[0]!.bias!.clone());
    assert.deepEqual(
      group!.weights.map((entry) => entry.name),
      [...expected.keys()],
    );
    for (const entry of group!.weights) {
      assert.deepEqual(entry.shape, expected.get(entry.name)!.shape, entry.name);
      assert.equal(entry.dtype, "float32");
    }

    // Sizes: full shards but the last, together exactly the float32 bytes of the manifest.
    const sizes = await Promise.all(group!.paths.map(async (file) => (await stat(path.join(output, file))).size));
    const total = [...expected.values()].reduce((sum, tensor) => sum + tensor.size * 4, 0);
    assert.equal(
      sizes.reduce((a, b) => a + b, 0),
      total,
    );
    assert.equal(summary.weightBytes, total);
    sizes.slice(0, -1).forEach((size) => assert.equal(size, 1024));
    assert.ok(sizes.at(-1)! > 0 && sizes.at(-1)! <= 1024);

    const shards = await Promise.all(group!.paths.map((file) => readFile(path.join(output, file))));
    const joined = new Uint8Array(Buffer.concat(shards)).buffer;
    const decoded = tf.io.decodeWeights(joined, group!.weights);
    for (const [name, tensor] of expected) {
      assert.deepEqual(Array.from(decoded[name]!.dataSync()), Array.from(tensor.dataSync()), name);
    }
    tf.dispose([...expected.values(), ...Object.values(decoded)]);

    // babelbed's section: what rebuilds the pipeline in the browser.
    assert.deepEqual(model.babelbed.config, configToJson(encoder.transformer.config));
    assert.deepEqual(model.babelbed.dense, [
      { weight: "dense.0.linear.weight", bias: "dense.0.linear.bias", activation: "tanh" },
    ]);
    assert.equal(model.babelbed.pooling, "cls");
    assert.equal(model.babelbed.normalize, true);
    assert.equal(model.babelbed.maxSeqLength, 24);
    const original = encoder.tokenizer as WordPieceTokenizer;
    assert.deepEqual(model.babelbed.tokenizer.settings, original.settings());
    const rebuilt = new WordPieceCore(
      parseVocab(await readFile(path.join(output, "vocab.txt"), "utf8")),
      model.babelbed.tokenizer.settings,
    );
    for (const text of ["The cat sits on the MAT.", "Café déjà vu", "北京 [SEP] park", ""]) {
      assert.deepEqual(rebuilt.encode(text, { maxLength: 24 }), original.encode(text, { maxLength: 24 }), text);
    }

    const files = await readdir(output);
    for (const file of ["model.json", "vocab.txt", "tokenizer.json", "babelbed-tfjs.js", "index.html"])
      assert.ok(files.includes(file), file);
    assert.deepEqual((await readdir(work)).sort(), ["web"], "no staging folder left behind");
  } finally {
    encoder.dispose();
    await rm(work, { recursive: true, force: true });
  }
});

test("tfjs export: the browser bundle reaches no Node-only module and exports loadTfjsEncoder", async () => {
  const runtime = await bundleBrowserRuntime();
  const nodeOnly =
    /src\/util\/files\.|src\/text\/(load|segmenter|config|json-tokenizer|wordpiece-tokenizer)\.|kuromoji|tfjs-backend-wasm|tfjs-node|@huggingface|node:/;
  const reached = runtime.inputs.filter((input) => nodeOnly.test(input));
  assert.deepEqual(reached, []);
  assert.ok(
    runtime.inputs.some((input) => input.endsWith("src/model/transformer.ts")),
    "the model code is babelbed's own",
  );
  assert.ok(
    runtime.inputs.some((input) => input.endsWith("src/text/wordpiece-core.ts")),
    "the tokenizer is babelbed's own",
  );
  assert.ok(runtime.inputs.some((input) => input.includes("tfjs-backend-cpu")));
  assert.ok(
    !runtime.inputs.some((input) => input.includes("tfjs-backend-webgl")),
    "WebGL would compute in lower precision",
  );
  assert.match(runtime.code, /export\s*\{[^}]*loadTfjsEncoder/);
});

test("tfjs export refuses a tokenizer that segments (kuromoji cannot run in the browser) or is not WordPiece, and leaves nothing behind", async () => {
  const work = await mkdtemp(path.join(tmpdir(), "babelbed-tfjs-"));
  const base = await tinyEncoder(4);
  try {
    const segmenter = { language: "ja", segment: (text: string) => text };
    const tokenizer = new WordPieceTokenizer([...(base.tokenizer as WordPieceTokenizer).vocab], {
      lowercase: true,
      segmenter,
    });
    const encoder = new SentenceEncoder({
      tokenizer,
      transformer: base.transformer,
      maxSeqLength: 24,
      pooling: "mean",
    });
    await assert.rejects(
      () => saveTfjsEncoder(encoder, path.join(work, "web")),
      (error: unknown) =>
        error instanceof BabelbedError && /pre-segments ja text/.test(error.message) && /browser/.test(error.message),
    );
    // Any tokenizer but babelbed's WordPiece (here one that only has what SentenceEncoder needs) is refused too.
    const foreign = { special: base.tokenizer.special, encode: (text: string) => base.tokenizer.encode(text) };
    const unbundled = new SentenceEncoder({
      tokenizer: foreign,
      transformer: base.transformer,
      maxSeqLength: 24,
      pooling: "mean",
    });
    await assert.rejects(
      () => saveTfjsEncoder(unbundled, path.join(work, "web")),
      (error: unknown) =>
        error instanceof BabelbedError && /WordPiece/.test(error.message) && /only runs under Node/.test(error.message),
    );
    assert.deepEqual(await readdir(work), []);
  } finally {
    base.dispose();
    await rm(work, { recursive: true, force: true });
  }
});

test("tfjs export read back through the page's own loader gives the encoder's vectors; a damaged shard is caught", async () => {
  const work = await mkdtemp(path.join(tmpdir(), "babelbed-tfjs-read-"));
  const encoder = await denseEncoder();
  try {
    const output = path.join(work, "web");
    await saveTfjsEncoder(encoder, output, { shardBytes: 1024 });
    const before = tf.memory().numTensors;
    assert.ok((await verifyTfjsExport(encoder, output)) <= 1e-5);
    assert.equal(tf.memory().numTensors, before, "the loaded copy is disposed");
    const loaded = await loadTfjsDirectory(output);
    assert.equal(loaded.dimension, 6, "the Dense layer travels");
    loaded.dispose();

    // One float of the first shard changed: the vectors move, and the check names the folder.
    const shard = path.join(
      output,
      `group1-shard1of${(await readdir(output)).filter((name) => name.endsWith(".bin")).length}.bin`,
    );
    const bytes = await readFile(shard);
    bytes.writeFloatLE(bytes.readFloatLE(400) + 0.5, 400);
    await writeFile(shard, bytes);
    await assert.rejects(
      verifyTfjsExport(encoder, output),
      (error: Error) =>
        error instanceof BabelbedError && error.message.startsWith(`${output}: the exported model's vectors differ`),
    );
  } finally {
    encoder.dispose();
    await rm(work, { recursive: true, force: true });
  }
});
