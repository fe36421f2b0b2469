import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  WordPieceTokenizer,
  benchmarkVocabTraining,
  countWords,
  defaultTrainingSpecialTokens,
  syntheticSentences,
  trainWordPiece,
} from "../src/text/index.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const tatoebaDir = path.join(path.resolve(repoRoot, "../shared"), "data", "tatoeba");

const normalizer = { cleanText: true, handleChineseChars: true, lowercase: true, stripAccents: null };

/** Every pre-tokenized training word must come out without [UNK]. */
async function assertCoversTrainingWords(sentences: string[], vocab: string[]): Promise<number> {
  const tokenizer = new WordPieceTokenizer(vocab);
  const { counts } = await countWords(sentences, normalizer);
  for (const word of counts.keys()) {
    assert.ok(
      !tokenizer.tokenize(word).includes("[UNK]"),
      `${JSON.stringify(word)} -> ${tokenizer.tokenize(word).join(" ")}`,
    );
  }
  return counts.size;
}

/**
 * The same training done the slow, obvious way: recount every pair before each merge. The
 * incremental trainer must reach exactly the same vocabulary.
 */
function naiveTraining(wordCounts: Map<string, number>, vocabSize: number, minFrequency: number): string[] {
  const vocab: string[] = [];
  const ids = new Map<string, number>();
  const add = (token: string): void => {
    if (!ids.has(token)) ids.set(token, vocab.push(token) - 1);
  };
  defaultTrainingSpecialTokens.forEach(add);
  const characters = [...new Set([...wordCounts.keys()].flatMap((word) => [...word]))];
  characters.sort((a, b) => (a.codePointAt(0) as number) - (b.codePointAt(0) as number)).forEach(add);
  const words = [...wordCounts].map(([word, count]) => {
    const symbols = [...word].map((character, index) => (index === 0 ? character : `##${character}`));
    symbols.forEach(add);
    return { symbols, count };
  });
  while (vocab.length < vocabSize) {
    const pairs = new Map<string, { left: string; right: string; count: number }>();
    for (const { symbols, count } of words) {
      for (let index = 0; index + 1 < symbols.length; index += 1) {
        const key = `${symbols[index]}\u0000${symbols[index + 1]}`;
        const entry = pairs.get(key) ?? {
          left: symbols[index] as string,
          right: symbols[index + 1] as string,
          count: 0,
        };
        entry.count += count;
        pairs.set(key, entry);
      }
    }
    let best: { left: string; right: string; count: number } | undefined;
    for (const entry of pairs.values()) {
      const order = (pair: { left: string; right: string }) =>
        [ids.get(pair.left) as number, ids.get(pair.right) as number] as const;
      const [left, right] = order(entry);
      const [bestLeft, bestRight] = best === undefined ? [0, 0] : order(best);
      if (
        best === undefined ||
        entry.count > best.count ||
        (entry.count === best.count && (left < bestLeft || (left === bestLeft && right < bestRight)))
      ) {
        best = entry;
      }
    }
    if (best === undefined || best.count < minFrequency) break;
    const merged = best.left + best.right.replace(/^##/, "");
    add(merged);
    for (const word of words) {
      const next: string[] = [];
      for (let index = 0; index < word.symbols.length; index += 1) {
        if (word.symbols[index] === best.left && word.symbols[index + 1] === best.right) {
          next.push(merged);
          index += 1;
        } else {
          next.push(word.symbols[index] as string);
        }
      }
      word.symbols = next;
    }
  }
  return vocab;
}

const smallCorpus = [
  "The lowest newer wider rows are the newest.",
  "Low, lower, lowest: newer and newest widen slowly.",
  "Unbelievable! The unbelievably low prices were lower than ever.",
  "Aaaa aaaa abab abab ababab; ΣΟΦΙΑ σοφία Straße strasse.",
  "東京と京都は日本の都市です。",
];

describe("WordPiece vocabulary training", () => {
  test("matches a recount-every-merge reference exactly", async () => {
    // Latin words only, so that a small vocabulary is mostly merges rather than alphabet.
    const latin = [...syntheticSentences(1000, { seed: 7 })].map((sentence) => sentence.replace(/[^a-z ]+/g, ""));
    const corpus = [...smallCorpus, ...smallCorpus, ...latin];
    const { counts } = await countWords(corpus, normalizer);
    const initial = (await trainWordPiece(corpus, { vocabSize: 6 })).length;
    const reference = naiveTraining(counts, initial + 600, 2);
    assert.equal(reference.length, initial + 600);
    // Training is greedy, so a smaller target is a prefix of the larger vocabulary.
    for (const vocabSize of [initial + 1, initial + 100, initial + 600]) {
      assert.deepEqual(
        await trainWordPiece(corpus, { vocabSize }),
        reference.slice(0, vocabSize),
        `vocabSize ${vocabSize}`,
      );
    }
  });

  test("puts BERT's special tokens first, reaches the size and covers every training word", async () => {
    const corpus = [...syntheticSentences(3000, { seed: 3 }), ...smallCorpus];
    const vocab = await trainWordPiece(corpus, { vocabSize: 2000 });
    assert.deepEqual(vocab.slice(0, 5), ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]);
    assert.equal(vocab.length, 2000);
    assert.equal(new Set(vocab).size, vocab.length);
    await assertCoversTrainingWords(corpus, vocab);
    const tokenizer = new WordPieceTokenizer(vocab);
    assert.deepEqual(tokenizer.special, { pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 });
    // The most frequent word of the corpus has become a single token.
    const { counts } = await countWords(corpus, normalizer);
    const [frequent] = [...counts].sort((left, right) => right[1] - left[1])[0] as [string, number];
    assert.deepEqual(tokenizer.tokenize(frequent), [frequent]);
  });

  test("accepts async iterables, custom specials, a frequency floor and an alphabet limit", async () => {
    async function* lines(): AsyncGenerator<string> {
      for (const line of smallCorpus) yield line;
    }
    const specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "<2ja>"];
    const vocab = await trainWordPiece(lines(), { vocabSize: 10_000, minFrequency: 3, specialTokens: specials });
    assert.deepEqual(vocab.slice(0, 6), specials);
    // Only pairs seen three times merge, so this corpus runs out long before 10,000.
    assert.ok(vocab.length < 200, `${vocab.length} tokens`);
    const limited = await trainWordPiece(smallCorpus, { vocabSize: 100, limitAlphabet: 10 });
    const alphabet = limited.slice(5).filter((token) => [...token].length === 1);
    assert.equal(alphabet.length, 10);
    assert.ok(alphabet.includes("e") && !alphabet.includes("東"));
    const cased = await trainWordPiece(smallCorpus, { vocabSize: 100, lowercase: false });
    assert.ok(cased.includes("T") && cased.includes("ß"));
  });

  test("is deterministic", async () => {
    const corpus = [...syntheticSentences(500, { seed: 11 })];
    assert.deepEqual(
      await trainWordPiece(corpus, { vocabSize: 800 }),
      await trainWordPiece(corpus, { vocabSize: 800 }),
    );
  });

  test("rejects a size that leaves no room beyond the special tokens", async () => {
    await assert.rejects(trainWordPiece(smallCorpus, { vocabSize: 5 }), RangeError);
  });

  test("trains on the Tatoeba sentences of 26 languages", {
    skip: existsSync(tatoebaDir) ? false : `${tatoebaDir} not found; skipping the Tatoeba training`,
  }, async () => {
    const files = readdirSync(tatoebaDir).filter((name) => /^tatoeba\.[a-z]{3}-eng\.[a-z]{3}$/.test(name));
    assert.equal(files.length, 52);
    const sentences = files.flatMap((name) =>
      readFileSync(path.join(tatoebaDir, name), "utf8")
        .split("\n")
        .filter((line) => line.length > 0),
    );
    const vocab = await trainWordPiece(sentences, { vocabSize: 8000, lowercase: false });
    assert.equal(vocab.length, 8000);
    assert.deepEqual(vocab.slice(0, 5), [...defaultTrainingSpecialTokens]);
    const tokenizer = new WordPieceTokenizer(vocab, { lowercase: false });
    let pieces = 0;
    for (const sentence of sentences) {
      const tokens = tokenizer.tokenize(sentence);
      assert.ok(!tokens.includes("[UNK]"), sentence);
      pieces += tokens.length;
    }
    // A learned vocabulary compresses: far fewer pieces than characters.
    const characters = sentences.reduce((total, sentence) => total + [...sentence.replace(/\s/g, "")].length, 0);
    assert.ok(pieces < characters / 2, `${pieces} pieces for ${characters} characters`);
  });

  test("benchmark helper reports its run", async () => {
    const result = await benchmarkVocabTraining({ sentences: 2000, vocabSize: 600 });
    assert.equal(result.sentences, 2000);
    assert.equal(result.vocabSize, 600);
    assert.ok(result.seconds > 0);
  });
});
