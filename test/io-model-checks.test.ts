import assert from "node:assert/strict";
import { appendFile, rm } from "node:fs/promises";
import * as path from "node:path";
import { test } from "node:test";
import { loadSentenceEncoder, saveSentenceEncoder } from "../src/io/encoder-checkpoint.js";
import { BabelbedError } from "../src/util/errors.js";
import { babelbedInProcess as babelbed } from "./helpers/cli.js";
import { editJson, editSafetensors } from "./helpers/model-edits.js";
import { scratchDirectories } from "./helpers/scratch.js";
import { tinyEncoder } from "./helpers/tiny-encoder.js";

const scratch = scratchDirectories("model-checks");

/** A saved tiny encoder (2 layers, 32 positions) to damage. */
async function savedModel(): Promise<string> {
  const dir = path.join(scratch(), "model");
  const encoder = await tinyEncoder(3);
  await saveSentenceEncoder(encoder, dir);
  encoder.dispose();
  return dir;
}

const refused = (pattern: RegExp) => (error: unknown) =>
  error instanceof BabelbedError && error.exitCode === 2 && pattern.test(error.message);

test("a config.json with fewer layers than the checkpoint is refused, naming the layers it lacks", async () => {
  const dir = await savedModel();
  await editJson(path.join(dir, "config.json"), (config) => (config.num_hidden_layers = 1));
  await assert.rejects(
    loadSentenceEncoder(dir),
    refused(/model\.safetensors: 16 tensors unused .*layers \(1\) that .*config\.json does not \(num_hidden_layers\)/),
  );
});

test("unknown tensors are refused; the pooler and pre-training heads are ignored by name", async () => {
  const dir = await savedModel();
  await editSafetensors(path.join(dir, "model.safetensors"), (tensors) => {
    tensors.set("cls.predictions.bias", { shape: [4], data: new Float32Array(4) });
    tensors.set("lm_head.dense.weight", { shape: [2], data: new Float32Array(2) });
  });
  (await loadSentenceEncoder(dir)).dispose();
  await editSafetensors(path.join(dir, "model.safetensors"), (tensors) =>
    tensors.set("decoder.weight", { shape: [2], data: new Float32Array(2) }),
  );
  await assert.rejects(loadSentenceEncoder(dir), refused(/1 tensor unused \(decoder\.weight\)/));
});

test("non-finite weights are refused by loading, and so by encode and evaluate (exit 2, naming file and tensor)", async () => {
  const dir = await savedModel();
  await editSafetensors(
    path.join(dir, "model.safetensors"),
    (tensors) => (tensors.get("encoder.layer.1.output.dense.weight")!.data[5] = Number.NaN),
  );
  await assert.rejects(
    loadSentenceEncoder(dir),
    refused(/model\.safetensors: tensor "encoder\.layer\.1\.output\.dense\.weight" holds NaN \(element 5\)/),
  );
  const work = scratch({ "in.txt": "one\ntwo\n", "sts.tsv": "a\tb\t1\nc\td\t2\ne\tf\t3\n" });
  const encoded = await babelbed([
    "encode",
    "--model",
    dir,
    "--input",
    path.join(work, "in.txt"),
    "--output",
    path.join(work, "out.jsonl"),
    "--device",
    "js",
  ]);
  assert.equal(encoded.code, 2, encoded.stderr);
  assert.match(encoded.stderr, /holds NaN/);
  const evaluated = await babelbed([
    "evaluate",
    "--model",
    dir,
    "--task",
    "sts",
    "--data",
    path.join(work, "sts.tsv"),
    "--device",
    "js",
  ]);
  assert.equal(evaluated.code, 2, evaluated.stderr);
  assert.match(evaluated.stderr, /holds NaN/);
});

test("max_seq_length beyond the position table is capped by it, so long inputs encode", async () => {
  const dir = await savedModel();
  await editJson(path.join(dir, "sentence_bert_config.json"), (config) => (config.max_seq_length = 100));
  const encoder = await loadSentenceEncoder(dir);
  assert.equal(encoder.maxSeqLength, 32);
  const [vector] = await encoder.encode([Array.from({ length: 80 }, () => "the cat sits").join(" ")]);
  assert.ok(vector!.every(Number.isFinite));
  encoder.dispose();
});

test("a vocabulary larger than the embedding table is refused when loading, naming vocab.txt", async () => {
  const dir = await savedModel();
  // tokenizer.json wins over vocab.txt, as in transformers; without it vocab.txt is read.
  await rm(path.join(dir, "tokenizer.json"), { force: true });
  await appendFile(path.join(dir, "vocab.txt"), "extra1\nextra2\n");
  await assert.rejects(
    loadSentenceEncoder(dir),
    refused(/vocab\.txt: the vocabulary has \d+ tokens but the embedding table of .*config\.json has \d+ rows/),
  );
});

test("encode refuses an --output it cannot write in that format (exit 2), before loading anything", async () => {
  const work = scratch({ "in.txt": "one\n" });
  for (const output of ["x.npz", "x.csv", "x"]) {
    const result = await babelbed([
      "encode",
      "--model",
      path.join(work, "nowhere"),
      "--input",
      path.join(work, "in.txt"),
      "--output",
      path.join(work, output),
      "--device",
      "js",
    ]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--output must end in \.jsonl, \.json, \.npy/);
  }
});
