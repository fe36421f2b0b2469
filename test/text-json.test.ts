import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  JsonTokenizer,
  WordPieceTokenizer,
  bertSpecialTokens,
  bertTokenizerJson,
  loadTokenizer,
  parseVocab,
  type TokenizerJson,
} from "../src/text/index.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const fixtures = path.join(path.resolve(repoRoot, "../shared"), "fixtures");
const missing = existsSync(path.join(fixtures, "tiny-bert", "vocab.txt"))
  ? false
  : `shared fixtures not found at ${fixtures}; skipping the tokenizer.json comparison`;

const workDirs: string[] = [];
after(async () => Promise.all(workDirs.map((dir) => rm(dir, { recursive: true, force: true }))));

async function temporaryDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "babelbed-json-"));
  workDirs.push(dir);
  return dir;
}

describe("WordPiece tokenizer.json through @huggingface/tokenizers", { skip: missing }, () => {
  for (const { dir, lowercase } of [
    { dir: "tiny-bert", lowercase: false },
    { dir: "tiny-bert-uncased", lowercase: true },
  ]) {
    test(`${dir}: same ids as vocab.txt on the fixture sentences`, async () => {
      const vocab = parseVocab(readFileSync(path.join(fixtures, dir, "vocab.txt"), "utf8"));
      const reference = new WordPieceTokenizer(vocab, { lowercase });
      const json = bertTokenizerJson(vocab, {
        lowercase,
        stripAccents: null,
        handleChineseChars: true,
        specialTokens: bertSpecialTokens,
        additionalSpecialTokens: [],
        continuingSubwordPrefix: "##",
        maxInputCharsPerWord: 100,
      });
      // Through the library, not the native shortcut that loadTokenizer takes for plain BERT files.
      const library = new JsonTokenizer(json, { raw: {}, special: {}, additionalSpecialTokens: [] });
      const expected = JSON.parse(readFileSync(path.join(fixtures, dir, "expected.json"), "utf8")) as {
        sentences: { text: string; input_ids: number[] }[];
      };
      const cases = JSON.parse(readFileSync(path.join(fixtures, "tokenizer-cases.json"), "utf8")) as {
        cases: { text: string }[];
      };
      for (const sentence of expected.sentences) {
        assert.deepEqual(library.encode(sentence.text, { maxLength: 32 }).inputIds, sentence.input_ids, sentence.text);
      }
      for (const item of cases.cases) {
        assert.deepEqual(library.encode(item.text).inputIds, reference.encode(item.text).inputIds, item.text);
      }
      const longText = expected.sentences.map((sentence) => sentence.text).join(" ");
      assert.deepEqual(
        library.encode(longText, { pair: "Short one.", maxLength: 24 }),
        reference.encode(longText, { pair: "Short one.", maxLength: 24 }),
      );
      assert.equal(library.vocabSize, reference.vocabSize);
      assert.deepEqual(library.special, reference.special);

      const folder = await temporaryDir();
      await writeFile(path.join(folder, "tokenizer.json"), JSON.stringify(json));
      const loaded = await loadTokenizer(folder);
      assert.deepEqual(loaded.encode(longText).inputIds, reference.encode(longText).inputIds);
    });
  }
});

/** A tiny SentencePiece/Unigram model laid out like XLM-R's tokenizer.json. */
function unigramJson(): TokenizerJson {
  const special = (id: number, content: string, lstrip = false) => ({
    id,
    content,
    single_word: false,
    lstrip,
    rstrip: false,
    normalized: false,
    special: true,
  });
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [
      special(0, "<s>"),
      special(1, "<pad>"),
      special(2, "</s>"),
      special(3, "<unk>"),
      special(12, "<mask>", true),
    ],
    normalizer: { type: "Sequence", normalizers: [{ type: "Replace", pattern: { Regex: " {2,}" }, content: " " }] },
    pre_tokenizer: { type: "Metaspace", replacement: "\u2581", prepend_scheme: "always", split: true },
    post_processor: {
      type: "RobertaProcessing",
      sep: ["</s>", 2],
      cls: ["<s>", 0],
      trim_offsets: true,
      add_prefix_space: true,
    },
    decoder: { type: "Metaspace", replacement: "\u2581", prepend_scheme: "always", split: true },
    model: {
      type: "Unigram",
      unk_id: 3,
      byte_fallback: false,
      vocab: [
        ["<s>", 0],
        ["<pad>", 0],
        ["</s>", 0],
        ["<unk>", 0],
        ["\u2581", -2],
        ["\u2581hello", -3],
        ["\u2581hel", -4],
        ["lo", -4],
        ["\u2581world", -3.5],
        ["s", -3],
        ["\u2581wor", -5],
        ["ld", -5],
        ["<mask>", 0],
      ],
    },
  };
}

describe("SentencePiece Unigram tokenizer.json", () => {
  const config = { raw: {}, special: {}, additionalSpecialTokens: [] };

  test("segments by the highest-scoring path and adds XLM-R special tokens", () => {
    const tokenizer = new JsonTokenizer(unigramJson(), config);
    assert.deepEqual(tokenizer.tokenize("hello worlds"), ["\u2581hello", "\u2581world", "s"]);
    assert.deepEqual(tokenizer.encode("hello worlds").inputIds, [0, 5, 8, 9, 2]);
    // <mask> strips the space on its left, as XLM-R's does.
    assert.deepEqual(tokenizer.encode("hello <mask>").inputIds, [0, 5, 12, 2]);
    assert.deepEqual(tokenizer.tokenize("hello x"), ["\u2581hello", "\u2581", "<unk>"]);
    assert.deepEqual(tokenizer.encode("hello", { pair: "world" }), {
      inputIds: [0, 5, 2, 2, 8, 2],
      tokenTypeIds: [0, 0, 0, 0, 0, 0],
      attentionMask: [1, 1, 1, 1, 1, 1],
    });
    assert.deepEqual(tokenizer.special, { cls: 0, sep: 2, pad: 1, mask: 12, unk: 3 });
    assert.equal(tokenizer.vocabSize, 13);
  });

  test("truncates pairs longest_first around the RoBERTa separators", () => {
    const tokenizer = new JsonTokenizer(unigramJson(), config);
    const encoding = tokenizer.encode("hello hello hello hello", { pair: "world world", maxLength: 8 });
    // Budget 8 - 4 specials = 4: the shorter pair side keeps 2, the longer the other 2.
    assert.deepEqual(encoding.inputIds, [0, 5, 5, 2, 2, 8, 8, 2]);
    assert.deepEqual(tokenizer.encode("hello worlds hello", { maxLength: 4 }).inputIds, [0, 5, 8, 2]);
  });

  test("loads from a folder and saves back unchanged", async () => {
    const dir = await temporaryDir();
    await writeFile(path.join(dir, "tokenizer.json"), JSON.stringify(unigramJson()));
    await writeFile(
      path.join(dir, "tokenizer_config.json"),
      JSON.stringify({ tokenizer_class: "XLMRobertaTokenizer", model_max_length: 512, mask_token: "<mask>" }),
    );
    const tokenizer = await loadTokenizer(dir);
    assert.ok(tokenizer instanceof JsonTokenizer);
    assert.deepEqual(tokenizer.encode("hello worlds").inputIds, [0, 5, 8, 9, 2]);
    const copy = await temporaryDir();
    await tokenizer.save(copy);
    assert.deepEqual(JSON.parse(await readFile(path.join(copy, "tokenizer.json"), "utf8")), unigramJson());
    const config = JSON.parse(await readFile(path.join(copy, "tokenizer_config.json"), "utf8"));
    assert.equal(config.tokenizer_class, "XLMRobertaTokenizer");
    assert.equal(config.model_max_length, 512);
    const reloaded = await loadTokenizer(copy);
    assert.deepEqual(reloaded.encode("hello <mask>").inputIds, [0, 5, 12, 2]);
  });
});
