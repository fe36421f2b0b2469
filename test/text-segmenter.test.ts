import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  WordPieceTokenizer,
  createJapaneseSegmenter,
  loadTokenizer,
  segmenterFor,
  trainWordPiece,
} from "../src/text/index.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const japaneseFile = path.join(path.resolve(repoRoot, "../shared"), "data", "tatoeba", "tatoeba.jpn-eng.jpn");
const workDirs: string[] = [];
after(async () => Promise.all(workDirs.map((dir) => rm(dir, { recursive: true, force: true }))));

const withoutSpaces = (text: string): string => text.replace(/\s+/g, "");

describe("Japanese segmentation", () => {
  test("kuromoji puts spaces between words", async () => {
    const segmenter = await createJapaneseSegmenter();
    assert.equal(segmenter.segment("私は東京に住んでいます。"), "私 は 東京 に 住ん で い ます 。");
    assert.equal(segmenter.segment("今日はいい天気ですね"), "今日 は いい 天気 です ね");
    assert.equal(segmenter.segment("Hello 世界、こんにちは"), "Hello 世界 、 こんにちは");
    assert.equal(segmenter.segment(""), "");
    assert.equal(segmenter.language, "ja");
  });

  test("segmenterFor picks kuromoji for Japanese only", async () => {
    assert.equal((await segmenterFor("ja"))?.language, "ja");
    assert.equal((await segmenterFor("jpn"))?.language, "ja");
    assert.equal((await segmenterFor("ja-JP"))?.language, "ja");
    assert.equal(await segmenterFor("en"), undefined);
    assert.equal(await segmenterFor("cmn"), undefined);
  });

  test("the tokenizer applies the segmenter and a saved tokenizer reloads with it", async () => {
    const segmenter = await createJapaneseSegmenter();
    const sentences = [
      "私は東京に住んでいます。",
      "東京は大きい都市です。",
      "私は学生です。",
      "今日はいい天気ですね。",
    ];
    // Uncased BERT would strip the dakuten (です -> てす), so Japanese vocabularies stay cased.
    const vocab = await trainWordPiece(sentences.concat(sentences), { vocabSize: 200, segmenter, lowercase: false });
    const tokenizer = new WordPieceTokenizer(vocab, { segmenter, lowercase: false });
    const plain = new WordPieceTokenizer(vocab, { lowercase: false });
    // With segmentation the kana words are whole vocabulary entries; without, one long run of kana.
    assert.deepEqual(tokenizer.tokenize("私は学生です。"), ["私", "は", "学", "生", "です", "。"]);
    assert.notDeepEqual(plain.tokenize("今日はいい天気ですね"), tokenizer.tokenize("今日はいい天気ですね"));
    const dir = await mkdtemp(path.join(tmpdir(), "babelbed-segmenter-"));
    workDirs.push(dir);
    await tokenizer.save(dir);
    const config = JSON.parse(await readFile(path.join(dir, "tokenizer_config.json"), "utf8"));
    assert.deepEqual(config.babelbed, { segmenter: "ja" });
    const reloaded = await loadTokenizer(dir);
    for (const sentence of sentences) assert.deepEqual(reloaded.encode(sentence), tokenizer.encode(sentence));
  });

  test("Tatoeba Japanese sentences segment without losing characters", {
    skip: existsSync(japaneseFile) ? false : `${japaneseFile} not found; skipping the Tatoeba check`,
  }, async () => {
    const segmenter = await createJapaneseSegmenter();
    const lines = readFileSync(japaneseFile, "utf8")
      .split("\n")
      .filter((line) => line.length > 0);
    assert.equal(lines.length, 1000);
    let words = 0;
    for (const line of lines) {
      const segmented = segmenter.segment(line);
      assert.equal(withoutSpaces(segmented), withoutSpaces(line), line);
      words += segmented.split(" ").length;
    }
    // Tatoeba's Japanese side has no spaces; real segmentation yields several words per sentence.
    assert.ok(words > 5 * lines.length, `only ${words} words in ${lines.length} sentences`);
  });
});
