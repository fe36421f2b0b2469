import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { WordPieceTokenizer, loadTokenizer, parseVocab } from "../src/text/index.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const shared = path.resolve(repoRoot, "../shared");
const fixtures = path.join(shared, "fixtures");
const missing = existsSync(path.join(fixtures, "tokenizer-cases.json"))
  ? false
  : `shared fixtures not found at ${fixtures}; skipping the Hugging Face comparison`;

interface CaseFile {
  cases: { text: string; cased: number[]; uncased: number[] }[];
  pairs: ({ a: number; b: number; max_length: number } & Record<string, unknown>)[];
}

interface ExpectedFile {
  tokenizer: { max_seq_length: number; ids: Record<string, number> };
  sentences: { text: string; tokens: string[]; input_ids: number[] }[];
  tlm_pairs: { text_a: string; text_b: string; input_ids: number[]; token_type_ids: number[] }[];
  batch: { input_ids: number[][]; attention_mask: number[][] };
}

const vocabularies = [
  { key: "cased", dir: "tiny-bert" },
  { key: "uncased", dir: "tiny-bert-uncased" },
] as const;

describe("WordPiece against Hugging Face fixtures", { skip: missing }, () => {
  const cases = missing
    ? undefined
    : (JSON.parse(readFileSync(path.join(fixtures, "tokenizer-cases.json"), "utf8")) as CaseFile);

  for (const { key, dir } of vocabularies) {
    test(`${key}: every adversarial case gives the same ids`, async () => {
      const tokenizer = await loadTokenizer(path.join(fixtures, dir));
      assert.ok(cases);
      let matched = 0;
      for (const item of cases.cases) {
        assert.deepEqual(tokenizer.encode(item.text).inputIds, item[key], `text ${JSON.stringify(item.text)}`);
        matched += 1;
      }
      assert.equal(matched, 2397);
    });

    test(`${key}: pairs follow tokenizers >= 0.23 longest_first truncation`, async () => {
      const tokenizer = await loadTokenizer(path.join(fixtures, dir));
      assert.ok(cases);
      let changedSince022 = 0;
      for (const pair of cases.pairs) {
        const first = cases.cases[pair.a]?.text as string;
        const second = cases.cases[pair.b]?.text as string;
        const encoding = tokenizer.encode(first, { pair: second, maxLength: pair.max_length });
        const label = `pair ${pair.a}/${pair.b} max ${pair.max_length}`;
        assert.deepEqual(encoding.inputIds, pair[key], label);
        assert.deepEqual(encoding.tokenTypeIds, pair[`${key}_token_type_ids`], label);
        assert.deepEqual(encoding.attentionMask, new Array(encoding.inputIds.length).fill(1));
        if (pair[`${key}_differs_in_tokenizers_0_22`] === true) changedSince022 += 1;
      }
      assert.equal(cases.pairs.length, 300);
      // The fixture must exercise the 0.23 rule, or this test would not tell the rules apart.
      assert.ok(changedSince022 > 0);
    });

    test(`${key}: expected.json sentences, TLM pairs and batch`, async () => {
      const tokenizer = await loadTokenizer(path.join(fixtures, dir));
      const expected = JSON.parse(readFileSync(path.join(fixtures, dir, "expected.json"), "utf8")) as ExpectedFile;
      const maxLength = expected.tokenizer.max_seq_length;
      assert.equal(expected.sentences.length, 41);
      for (const sentence of expected.sentences) {
        const encoding = tokenizer.encode(sentence.text, { maxLength });
        assert.deepEqual(encoding.inputIds, sentence.input_ids, sentence.text);
        assert.deepEqual(
          encoding.inputIds.map((id) => tokenizer.idToToken(id)),
          sentence.tokens,
        );
        assert.deepEqual(encoding.tokenTypeIds, new Array(encoding.inputIds.length).fill(0));
      }
      const batch = tokenizer.encodeBatch(
        expected.sentences.map((sentence) => sentence.text),
        { maxLength },
      );
      batch.forEach((encoding, row) => {
        const padded = expected.batch.input_ids[row] as number[];
        const mask = expected.batch.attention_mask[row] as number[];
        assert.deepEqual(encoding.inputIds, padded.slice(0, encoding.inputIds.length));
        assert.ok(padded.slice(encoding.inputIds.length).every((id) => id === tokenizer.special.pad));
        assert.deepEqual(encoding.attentionMask, mask.slice(0, encoding.attentionMask.length));
      });
      for (const pair of expected.tlm_pairs) {
        const encoding = tokenizer.encode(pair.text_a, { pair: pair.text_b, maxLength });
        assert.deepEqual(encoding.inputIds, pair.input_ids);
        assert.deepEqual(encoding.tokenTypeIds, pair.token_type_ids);
      }
      const ids = expected.tokenizer.ids;
      assert.deepEqual(tokenizer.special, {
        cls: ids["[CLS]"],
        sep: ids["[SEP]"],
        pad: ids["[PAD]"],
        mask: ids["[MASK]"],
        unk: ids["[UNK]"],
      });
    });
  }

  test("tokenize gives word pieces without added special tokens", async () => {
    const tokenizer = await loadTokenizer(path.join(fixtures, "tiny-bert"));
    assert.deepEqual(tokenizer.tokenize("The quick brown fox"), ["The", "quick", "brown", "f", "##ox"]);
    assert.deepEqual(tokenizer.tokenize("Paris is the [MASK]."), ["Paris", "is", "the", "[MASK]", "."]);
    assert.equal(tokenizer.vocabSize, 119547);
  });
});

describe("WordPiece behaviour on a small vocabulary", () => {
  const vocab = [
    "[PAD]",
    "[UNK]",
    "[CLS]",
    "[SEP]",
    "[MASK]",
    "un",
    "##aff",
    "##able",
    "hello",
    "world",
    "!",
    ",",
    "σ",
    "##σ",
    "a",
    "##b",
  ];
  const tokenizer = new WordPieceTokenizer(vocab, { lowercase: true, modelMaxLength: 16 });
  const workDirs: string[] = [];
  after(async () => Promise.all(workDirs.map((dir) => rm(dir, { recursive: true, force: true }))));

  test("normalises, splits punctuation and matches greedily", () => {
    assert.deepEqual(tokenizer.tokenize("Hello, WORLD! unaffable"), [
      "hello",
      ",",
      "world",
      "!",
      "un",
      "##aff",
      "##able",
    ]);
    // Per-code-point lowercasing: a final capital sigma becomes σ, not ς.
    assert.deepEqual(tokenizer.tokenize("ΣΣ"), ["σ", "##σ"]);
    assert.deepEqual(tokenizer.tokenize("hellox [MASK]"), ["[UNK]", "[MASK]"]);
    assert.deepEqual(tokenizer.tokenize("a".concat("b".repeat(99))), ["a", ...new Array(99).fill("##b")]);
    assert.deepEqual(tokenizer.tokenize("a".concat("b".repeat(100))), ["[UNK]"]);
    assert.deepEqual(tokenizer.tokenize(" \t\u3000\u0000 "), []);
  });

  test("encodes pairs and truncates single sequences", () => {
    assert.deepEqual(tokenizer.encode("hello world", { pair: "un" }), {
      inputIds: [2, 8, 9, 3, 5, 3],
      tokenTypeIds: [0, 0, 0, 0, 1, 1],
      attentionMask: [1, 1, 1, 1, 1, 1],
    });
    assert.deepEqual(tokenizer.encode("hello world !", { maxLength: 4 }).inputIds, [2, 8, 9, 3]);
    assert.deepEqual(tokenizer.encode("hello", { pair: "", maxLength: 8 }).inputIds, [2, 8, 3]);
    assert.throws(() => tokenizer.encode("hello", { pair: "world", maxLength: 2 }), /too small/);
    assert.throws(() => tokenizer.idToToken(vocab.length), RangeError);
  });

  test("saves vocab.txt, tokenizer.json and configs that load back", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "babelbed-wordpiece-"));
    workDirs.push(dir);
    await tokenizer.save(dir);
    assert.deepEqual(parseVocab(await readFile(path.join(dir, "vocab.txt"), "utf8")), vocab);
    const config = JSON.parse(await readFile(path.join(dir, "tokenizer_config.json"), "utf8"));
    assert.equal(config.do_lower_case, true);
    assert.equal(config.tokenizer_class, "BertTokenizer");
    assert.equal(config.model_max_length, 16);
    const map = JSON.parse(await readFile(path.join(dir, "special_tokens_map.json"), "utf8"));
    assert.equal(map.mask_token, "[MASK]");
    const reloaded = await loadTokenizer(dir);
    assert.ok(reloaded instanceof WordPieceTokenizer);
    const text = "Hello, world! unaffable ΣΣ [MASK]";
    assert.deepEqual(
      reloaded.encode(text, { pair: text, maxLength: 12 }),
      tokenizer.encode(text, { pair: text, maxLength: 12 }),
    );
    assert.equal(reloaded.modelMaxLength, 16);
  });

  test("a folder with vocab.txt only uses transformers' defaults", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "babelbed-vocab-only-"));
    workDirs.push(dir);
    await tokenizer.save(dir);
    await rm(path.join(dir, "tokenizer.json"));
    await rm(path.join(dir, "tokenizer_config.json"));
    const reloaded = await loadTokenizer(dir);
    assert.deepEqual(reloaded.tokenize("HELLO"), ["hello"]);
  });
});
