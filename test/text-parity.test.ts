import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { JsonTokenizer, loadTokenizer, type TokenizerJson } from "../src/text/index.js";
import { AddedVocabulary } from "../src/text/added-tokens.js";
import { jsonNormalizer } from "../src/text/normalizers.js";
import { PrecompiledCharsmap } from "../src/text/precompiled.js";
import type { AddedTokenJson } from "../src/text/tokenizer-json-format.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const fixtures = path.join(repoRoot, "..", "shared", "fixtures");
const hubFixtures = ["tiny-xlmr", "tiny-mpnet", "tiny-distilbert", "tiny-bert-pooling"];
const missing = hubFixtures.every((dir) => existsSync(path.join(fixtures, dir, "expected.json")))
  ? false
  : `hub fixtures not found under ${fixtures}; skipping the tokenizer parity checks`;
const noConfig = { raw: {}, special: {}, additionalSpecialTokens: [] };

interface Expected {
  max_seq_length: number;
  sentences: { text: string; input_ids: number[] }[];
}

function expectedOf(dir: string): Expected {
  return JSON.parse(readFileSync(path.join(fixtures, dir, "expected.json"), "utf8")) as Expected;
}

describe("token ids exactly as sentence-transformers 6 / tokenizers 0.23 gave them", { skip: missing }, () => {
  for (const dir of hubFixtures) {
    test(`${dir}: all fixture sentences, truncated to max_seq_length`, async () => {
      const expected = expectedOf(dir);
      const tokenizer = await loadTokenizer(path.join(fixtures, dir));
      for (const sentence of expected.sentences) {
        assert.deepEqual(
          tokenizer.encode(sentence.text, { maxLength: expected.max_seq_length }).inputIds,
          sentence.input_ids,
          sentence.text,
        );
      }
      // The general tokenizer.json path (not the native BERT shortcut) must agree too.
      const json = JSON.parse(readFileSync(path.join(fixtures, dir, "tokenizer.json"), "utf8")) as TokenizerJson;
      const general = new JsonTokenizer(json, noConfig);
      for (const sentence of expected.sentences) {
        assert.deepEqual(
          general.encode(sentence.text, { maxLength: expected.max_seq_length }).inputIds,
          sentence.input_ids,
          sentence.text,
        );
      }
    });
  }

  test("tiny-xlmr: the three cases the library got wrong", async () => {
    const tokenizer = await loadTokenizer(path.join(fixtures, "tiny-xlmr"));
    const byText = new Map(expectedOf("tiny-xlmr").sentences.map((sentence) => [sentence.text, sentence.input_ids]));
    // A whitespace-only line normalises to nothing (Strip), so no lone "▁" is tokenized.
    assert.deepEqual(tokenizer.encode("   ").inputIds, [0, 2]);
    assert.deepEqual(tokenizer.encode("").inputIds, [0, 2]);
    for (const text of ["emoji 😀👍🏽 and ZWJ 👨‍👩‍👧 family", "[CLS] [SEP] [MASK] <s> </s> <pad> literal specials"]) {
      assert.ok(byText.has(text), `fixture sentence ${JSON.stringify(text)} is missing`);
      assert.deepEqual(tokenizer.encode(text, { maxLength: 32 }).inputIds, byText.get(text), text);
    }
    // Special tokens written in the text stay single ids wherever they are, spaces between them vanish.
    assert.deepEqual(tokenizer.encode("<s></s> <mask>").inputIds, [0, 0, 2, 3001, 2]);
  });

  test("tiny-xlmr: the real precompiled charsmap (SentencePiece nmt_nfkc)", () => {
    const json = JSON.parse(readFileSync(path.join(fixtures, "tiny-xlmr", "tokenizer.json"), "utf8")) as TokenizerJson;
    const steps = (json.normalizer as { normalizers: { type: string; precompiled_charsmap: string }[] }).normalizers;
    const map = new PrecompiledCharsmap(steps[0]?.precompiled_charsmap as string);
    // Full-width forms and the ideographic space fold to ASCII, circled digits to digits.
    assert.equal(map.normalize("ｆｕｌｌ　ｗｉｄｔｈ ①"), "full width 1");
    // The zero-width joiner is not in the map (the library turned it into a space).
    assert.equal(map.normalize("👨\u200D👩"), "👨\u200D👩");
    // Zero-width space and no-break space become spaces, ligatures decompose.
    assert.equal(map.normalize("a\u200Bb\u00A0c ﬁ"), "a b c fi");
    // A base letter and its combining accent form one cluster, looked up whole: NFKC-composed.
    assert.equal(map.normalize("cafe\u0301"), "caf\u00E9");
    // The whole pipeline: trailing spaces stripped, runs of spaces become one "▁".
    assert.equal(jsonNormalizer(json.normalizer)("a   b  "), "a\u2581b");
  });
});

/** The added-vocabulary cases of the Rust crate's own tests (tokenizer/added_vocabulary.rs). */
describe("added tokens as the Rust crate finds them", () => {
  const token = (id: number, content: string, flags: Partial<AddedTokenJson>): AddedTokenJson => ({
    id,
    content,
    ...flags,
  });
  const lowercase = (text: string) => text.toLowerCase();
  const shape = (splits: { text: string; id?: number }[]) => splits.map((split) => [split.text, split.id ?? null]);

  test("normalised tokens match the normalised text; lstrip/rstrip swallow spaces; single_word", () => {
    const vocabulary = new AddedVocabulary(
      [
        token(0, "my", { lstrip: true, rstrip: true, normalized: true }),
        token(1, "name", { normalized: true }),
        token(2, "ony", { single_word: true, normalized: true }),
        token(3, "[CLS]", { special: true, normalized: false }),
        token(4, "[SEP]", { special: true, normalized: false }),
      ],
      lowercase,
    );
    // The crate keeps " my " as the token's text; babelbed keeps the split text as normalised.
    assert.deepEqual(shape(vocabulary.extractAndNormalize("[CLS] My name is Anthony [SEP]")), [
      ["[CLS]", 3],
      [" my ", 0],
      ["name", 1],
      [" is anthony ", null],
      ["[SEP]", 4],
    ]);
  });

  test("single_word: punctuation is no word, a combining mark is", () => {
    const vocabulary = new AddedVocabulary([token(0, "<mask>", { single_word: true, normalized: true })], lowercase);
    assert.deepEqual(shape(vocabulary.extractAndNormalize("<mask> My name <mask> A<mask> <mask>ony <mask>")), [
      ["<mask>", 0],
      [" my name ", null],
      ["<mask>", 0],
      [" a<mask> <mask>ony ", null],
      ["<mask>", 0],
    ]);
    assert.deepEqual(shape(vocabulary.extractAndNormalize("<mask>, <mask>- \u25CC\u0330<mask>")), [
      ["<mask>", 0],
      [", ", null],
      ["<mask>", 0],
      ["- \u25CC\u0330<mask>", null],
    ]);
  });

  test("lstrip and rstrip take Unicode spaces, never a space already taken", () => {
    const vocabulary = new AddedVocabulary(
      [token(0, "<mask>", { lstrip: true, rstrip: true, single_word: true, normalized: true })],
      lowercase,
    );
    assert.deepEqual(shape(vocabulary.extractAndNormalize("Hi <mask> there\t<mask>\t<mask>\u2000")), [
      ["hi", null],
      [" <mask> ", 0],
      ["there", null],
      ["\t<mask>\t", 0],
      ["<mask>\u2000", 0],
    ]);
  });
});

/**
 * A hand-made byte-level BPE tokenizer.json laid out as RoBERTa's (ByteLevel pre-tokenizer with the
 * GPT-2 regex, no normaliser, RobertaProcessing). There is no BPE fixture from Python, so the
 * expected ids below are derived by hand from the crate's algorithm:
 * - each UTF-8 byte b is the character bytesToUnicode[b] (space is "Ġ"), with id 4 + b;
 * - the GPT-2 regex splits "the lower lowest" into "the", " lower", " lowest";
 * - BPE repeatedly merges the adjacent pair of lowest merge rank (ranks are list positions).
 */
function bytesToUnicode(): string[] {
  const printable = (from: string, to: string) =>
    Array.from({ length: to.charCodeAt(0) - from.charCodeAt(0) + 1 }, (_, index) => from.charCodeAt(0) + index);
  const direct = new Set([...printable("!", "~"), ...printable("\u00A1", "\u00AC"), ...printable("\u00AE", "\u00FF")]);
  const table: string[] = [];
  let extra = 0;
  for (let byte = 0; byte < 256; byte += 1) table[byte] = String.fromCodePoint(direct.has(byte) ? byte : 256 + extra++);
  return table;
}
const byteCharacters = bytesToUnicode();
const merges = ["Ġ t", "h e", "Ġt he", "l o", "lo w", "e r", "low er", "Ġ low"];
const mergedIds: Record<string, number> = {
  Ġt: 260,
  he: 261,
  Ġthe: 262,
  lo: 263,
  low: 264,
  er: 265,
  lower: 266,
  Ġlow: 267,
};
const byteId = (character: string) => 4 + byteCharacters.indexOf(character);
const bytesOf = (text: string) => [...new TextEncoder().encode(text)].map((byte) => 4 + byte);

function byteLevelJson(): TokenizerJson {
  const vocab: Record<string, number> = { "<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3 };
  byteCharacters.forEach((character, byte) => (vocab[character] = 4 + byte));
  Object.assign(vocab, mergedIds, { "<mask>": 268 });
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
      special(268, "<mask>", true),
      // A user-added word: matched after normalisation, only as a whole word, outside the model vocabulary.
      { id: 269, content: "xyz", single_word: true, lstrip: false, rstrip: false, normalized: true, special: false },
    ],
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: {
      type: "RobertaProcessing",
      sep: ["</s>", 2],
      cls: ["<s>", 0],
      trim_offsets: true,
      add_prefix_space: false,
    },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: "",
      end_of_word_suffix: "",
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}

describe("byte-level BPE tokenizer.json (RoBERTa / GPT-2 layout)", () => {
  const tokenizer = new JsonTokenizer(byteLevelJson(), noConfig);
  const { Ġt, he, Ġthe, lower, Ġlow } = mergedIds as Record<string, number>;
  const Ġ = byteId("Ġ");

  test("merges by rank: 'the' is t+he, ' the' is one token, ' lowest' stops at Ġlow", () => {
    // "the": only (h,e) has a rank. " lower": lo, low, er, then (low,er) rank 6 beats (Ġ,low) rank 7.
    // " lowest": after lo, low the only ranked pair is (Ġ,low).
    assert.deepEqual(tokenizer.encode("the lower lowest").inputIds, [
      0,
      byteId("t"),
      he,
      Ġ,
      lower,
      Ġlow,
      ...bytesOf("est"),
      2,
    ]);
    assert.deepEqual(tokenizer.encode(" the").inputIds, [0, Ġthe, 2]);
    assert.notEqual(Ġt, Ġthe);
  });

  test("specials in the text, <mask> taking the space on its left", () => {
    // Without lstrip "the " would end in a lone Ġ before <mask>.
    assert.deepEqual(tokenizer.encode("the <mask> lower").inputIds, [0, byteId("t"), he, 268, Ġ, lower, 2]);
    assert.deepEqual(tokenizer.encode("</s><s>").inputIds, [0, 2, 0, 2]);
  });

  test("a non-special added word matches only as a whole word", () => {
    // "xyz" at the start and before "." is a word; inside "axyz" it is not.
    assert.deepEqual(tokenizer.encode("xyz axyz xyz.").inputIds, [
      0,
      269,
      ...bytesOf(" axyz"),
      Ġ,
      269,
      ...bytesOf("."),
      2,
    ]);
  });

  test("whitespace-only and empty lines, joiners, emoji modifiers, full-width forms", () => {
    // Byte-level BPE has no normaliser: whitespace is kept as Ġ bytes, an empty line has no tokens.
    assert.deepEqual(tokenizer.encode("   ").inputIds, [0, Ġ, Ġ, Ġ, 2]);
    assert.deepEqual(tokenizer.encode("").inputIds, [0, 2]);
    // Every UTF-8 byte is its own symbol when no merge applies.
    for (const text of ["👨\u200D👩", "👍🏽", "Ａ１"])
      assert.deepEqual(tokenizer.encode(text).inputIds, [0, ...bytesOf(text), 2], text);
  });

  test("add_prefix_space puts a space before every text section, after special tokens too", () => {
    const json = byteLevelJson();
    json.pre_tokenizer = { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true };
    const prefixed = new JsonTokenizer(json, noConfig);
    assert.deepEqual(prefixed.encode("the</s>the").inputIds, [0, Ġthe, 2, Ġthe, 2]);
    // A section that already starts with a space gets no second one.
    assert.deepEqual(prefixed.encode(" the").inputIds, [0, Ġthe, 2]);
  });

  test("truncation keeps the first ids and the RoBERTa specials", () => {
    assert.deepEqual(tokenizer.encode("the lower lowest", { maxLength: 5 }).inputIds, [0, byteId("t"), he, Ġ, 2]);
    assert.deepEqual(tokenizer.encode("the", { pair: " the", maxLength: 6 }).inputIds, [0, byteId("t"), 2, 2, Ġthe, 2]);
  });
});

describe("Metaspace as the Rust crate runs it", () => {
  const unigram = (preTokenizer: Record<string, unknown>): TokenizerJson => ({
    version: "1.0",
    added_tokens: [0, 1, 2, 3].map((id) => ({
      id,
      content: ["<s>", "<pad>", "</s>", "<unk>"][id] as string,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: preTokenizer,
    post_processor: { type: "RobertaProcessing", sep: ["</s>", 2], cls: ["<s>", 0] },
    model: {
      type: "Unigram",
      unk_id: 3,
      vocab: [
        ["<s>", 0],
        ["<pad>", 0],
        ["</s>", 0],
        ["<unk>", 0],
        ["\u2581", -3],
        ["\u2581hi", -1],
        ["hi", -1.5],
        ["<mask>", 0],
      ],
    },
  });

  test("legacy add_prefix_space, prepend_scheme first after a special token, and split", () => {
    // Files before tokenizers 0.19: add_prefix_space false means no "▁" in front.
    assert.deepEqual(
      new JsonTokenizer(
        unigram({ type: "Metaspace", replacement: "\u2581", add_prefix_space: false }),
        noConfig,
      ).encode("hi hi").inputIds,
      [0, 6, 5, 2],
    );
    assert.deepEqual(
      new JsonTokenizer(unigram({ type: "Metaspace", replacement: "\u2581", add_prefix_space: true }), noConfig).encode(
        "hi hi",
      ).inputIds,
      [0, 5, 5, 2],
    );
    // "first": only text at the very start of the input gets the "▁"; after a special token it does not.
    const first = new JsonTokenizer(
      unigram({ type: "Metaspace", replacement: "\u2581", prepend_scheme: "first", split: true }),
      noConfig,
    );
    assert.deepEqual(first.encode("hi</s>hi").inputIds, [0, 5, 2, 6, 2]);
    // split: false keeps "▁hi▁hi" one word, which the model then cuts itself.
    const whole = new JsonTokenizer(
      unigram({ type: "Metaspace", replacement: "\u2581", prepend_scheme: "always", split: false }),
      noConfig,
    );
    assert.deepEqual(whole.encode("hi hi").inputIds, [0, 5, 5, 2]);
  });
});
