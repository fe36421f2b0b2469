import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { Command } from "commander";
import { registerExport } from "../src/cli/commands/export.js";
import { loadSentenceEncoder, saveSentenceEncoder } from "../src/io/encoder-checkpoint.js";
import { Dense } from "../src/model/dense.js";
import { SentenceEncoder } from "../src/model/sentence-encoder.js";
import { BabelbedError } from "../src/util/errors.js";
import { launchChromium, skipWithoutChromium } from "./helpers/browser.js";
import { fixturesRoot, maxAbsDifference, skipWithoutFixtures } from "./helpers/fixtures.js";
import { serveDirectory } from "./helpers/static-server.js";
import { tinyEncoder, tinySentences } from "./helpers/tiny-encoder.js";
import { babelbed } from "./helpers/cli.js";

/** Accented Latin, German, Chinese, Japanese and plain English: the page must tokenize them as Node does. */
const sentences = [
  "Café déjà vu, a naïve façade.",
  "Die Straße ist schön.",
  "北京欢迎你。",
  "今日はとても良い天気です。",
  "the cat sits on the mat",
];

/** A tiny model whose vocabulary knows the sentences above, with Dense (tanh) and Normalize on top. */
async function saveDenseModel(dir: string): Promise<void> {
  const base = await tinyEncoder(7, {
    sentences: [...tinySentences, ...sentences, "la façade est naïve", "北京 今日 天気"],
  });
  const hidden = base.transformer.config.hiddenSize;
  const weight = tf.randomNormal([5, hidden], 0, 0.4, "float32", 11) as tf.Tensor2D;
  const bias = tf.randomNormal([5], 0, 0.1, "float32", 12) as tf.Tensor1D;
  const encoder = new SentenceEncoder({
    tokenizer: base.tokenizer,
    transformer: base.transformer,
    maxSeqLength: 24,
    pooling: "mean",
    dense: [new Dense(weight, bias, "tanh")],
    normalize: true,
  });
  tf.dispose([weight, bias]);
  try {
    await saveSentenceEncoder(encoder, dir);
  } finally {
    encoder.dispose();
  }
}

interface PageResult {
  vectors: number[][];
  sentences: string[];
  /** Requests to anywhere but the loopback server. */
  outside: string[];
  /** Paths the loopback server was asked for. */
  served: string[];
  errors: string[];
}

/** Serve `dir`, open its index.html in headless Chromium, put `lines` in the textarea, press Embed. */
async function embedInPage(dir: string, lines: string[]): Promise<PageResult> {
  const server = await serveDirectory(dir);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const requests: string[] = [];
    const errors: string[] = [];
    page.on("request", (request) => void requests.push(request.url()));
    page.on("pageerror", (error) => void errors.push(String(error)));
    await page.goto(`${server.origin}/index.html`);
    // The page embeds its sample sentences on load, with no click.
    await page.waitForFunction(
      () => document.body.dataset.state === "done" || document.body.dataset.state === "error",
      { timeout: 30_000 },
    );
    const state = await page.evaluate(() => [
      document.body.dataset.state,
      document.getElementById("status")?.textContent,
    ]);
    assert.equal(state[0], "done", String(state[1]));
    await page.$eval(
      "#sentences",
      (element, text) => void ((element as HTMLTextAreaElement).value = text),
      lines.join("\n"),
    );
    await page.click("#embed");
    await page.waitForFunction(
      () => document.body.dataset.state === "done" || document.body.dataset.state === "error",
      { timeout: 30_000 },
    );
    const result = await page.evaluate(
      () => (window as unknown as { babelbedResult?: { sentences: string[]; vectors: number[][] } }).babelbedResult,
    );
    assert.ok(result, await page.evaluate(() => String(document.getElementById("status")?.textContent)));
    // data: URLs (the page's empty favicon) are not network requests.
    const outside = requests.filter((url) => !url.startsWith(`${server.origin}/`) && !url.startsWith("data:"));
    return { ...result, outside, served: [...server.requests], errors };
  } finally {
    await browser.close();
    await server.close();
  }
}

async function encodeWithCli(model: string, work: string, name: string): Promise<number[][]> {
  const input = path.join(work, `${name}.txt`);
  const output = path.join(work, `${name}.jsonl`);
  await writeFile(input, `${sentences.join("\n")}\n`, "utf8");
  const result = await babelbed(["encode", "--model", model, "--input", input, "--output", output, "--device", "js"]);
  assert.equal(result.code, 0, result.stderr);
  return (await readFile(output, "utf8"))
    .trimEnd()
    .split("\n")
    .map((line) => (JSON.parse(line) as { embedding: number[] }).embedding);
}

async function checkBrowserMatchesEncode(model: string, work: string, name: string): Promise<void> {
  const output = path.join(work, `${name}-web`);
  const [exported, expected] = await Promise.all([
    babelbed(["export", "--checkpoint", model, "--output", output, "--format", "tfjs", "--device", "js"]),
    encodeWithCli(model, work, name),
  ]);
  assert.equal(exported.code, 0, exported.stderr);
  const page = await embedInPage(output, sentences);
  assert.deepEqual(page.errors, []);
  assert.deepEqual(page.outside, [], "the page reached only the loopback server");
  for (const file of ["/index.html", "/babelbed-tfjs.js", "/model.json", "/vocab.txt"])
    assert.ok(page.served.includes(file), file);
  assert.ok(page.served.some((file) => /^\/group1-shard1of\d+\.bin$/.test(file)));
  assert.deepEqual(page.sentences, sentences);
  assert.ok(
    maxAbsDifference(page.vectors[2], page.vectors[3]) > 1e-3,
    "Chinese and Japanese sentences get different vectors",
  );
  const difference = maxAbsDifference(page.vectors, expected);
  assert.ok(difference < 1e-5, `${name}: the page's vectors differ from babelbed encode's by ${difference}`);
}

test("export --format tfjs: the page embeds accented and CJK sentences as babelbed encode does (Dense + Normalize model)", {
  skip: skipWithoutChromium,
}, async () => {
  const work = await mkdtemp(path.join(tmpdir(), "babelbed-export-"));
  try {
    const model = path.join(work, "dense-model");
    await saveDenseModel(model);
    await checkBrowserMatchesEncode(model, work, "dense");
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test("export --format tfjs: the page matches babelbed encode on the tiny-bert fixture (multilingual vocabulary, 4 shards)", {
  skip: skipWithoutChromium || skipWithoutFixtures,
}, async () => {
  const work = await mkdtemp(path.join(tmpdir(), "babelbed-export-"));
  try {
    await checkBrowserMatchesEncode(path.join(fixturesRoot, "tiny-bert"), work, "tiny-bert");
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test("export: sentence-transformers by default, --help with an example, exit 2 naming a missing checkpoint", async () => {
  const work = await mkdtemp(path.join(tmpdir(), "babelbed-export-"));
  try {
    const model = path.join(work, "dense-model");
    await saveDenseModel(model);
    const output = path.join(work, "exported");
    const missing = path.join(work, "nowhere");
    const [exported, help, absent] = await Promise.all([
      babelbed(["export", "--checkpoint", model, "--output", output, "--device", "js", "--languages", "en,de"]),
      babelbed(["export", "--help"]),
      babelbed(["export", "--checkpoint", missing, "--output", path.join(work, "out"), "--format", "tfjs"]),
    ]);
    assert.equal(exported.code, 0, exported.stderr);
    // A model card, with the languages given and the output width of the Dense module.
    const card = await readFile(path.join(output, "README.md"), "utf8");
    assert.match(card, /^---\nlanguage:\n- en\n- de\nlibrary_name: sentence-transformers\n/);
    assert.match(card, /\*\*Modules:\*\* Transformer → Pooling → Dense → Normalize/);
    const original = await loadSentenceEncoder(model);
    const reloaded = await loadSentenceEncoder(output);
    try {
      assert.equal(reloaded.dense.length, 1);
      assert.equal(reloaded.normalize, true);
      assert.deepEqual(await reloaded.encode(sentences), await original.encode(sentences));
    } finally {
      original.dispose();
      reloaded.dispose();
    }
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Examples?:\n\s+babelbed export --checkpoint \S+ --output \S+/);
    assert.match(help.stdout, /--format tfjs/);
    assert.equal(absent.code, 2);
    assert.match(
      absent.stderr,
      new RegExp(`--checkpoint ${missing.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: no such directory`),
    );
    assert.doesNotMatch(absent.stderr, /\n\s+at /, "no stack trace");
    // In process (a CLI start costs seconds): exporting over the checkpoint itself is refused before anything loads.
    const program = new Command().exitOverride();
    registerExport(program);
    await assert.rejects(
      () =>
        program.parseAsync(["export", "--checkpoint", model, "--output", model, "--format", "tfjs"], { from: "user" }),
      (error: unknown) =>
        error instanceof BabelbedError &&
        error.exitCode === 2 &&
        /--output .*would replace the checkpoint/.test(error.message),
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
