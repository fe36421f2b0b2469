import { normalizeBert, splitWords, type NormalizerOptions } from "./basic.js";
import { bertSpecialTokens } from "./config.js";
import { learnVocabulary } from "./merge-training.js";
import type { Segmenter } from "./types.js";
import { defaultWordPieceOptions } from "./wordpiece.js";

export interface WordPieceTrainingOptions {
  /** Target size including special tokens; smaller when the corpus runs out of frequent pairs. */
  vocabSize: number;
  /** Pairs seen fewer times are never merged (default 2, as Hugging Face's BertWordPieceTokenizer). */
  minFrequency?: number;
  /** Must match the tokenizer that will use the vocabulary (default true, as BERT). */
  lowercase?: boolean;
  stripAccents?: boolean | null;
  handleChineseChars?: boolean;
  /** Placed first, in order; default `[PAD] [UNK] [CLS] [SEP] [MASK]`. */
  specialTokens?: string[];
  /** Keep only this many of the most frequent characters. */
  limitAlphabet?: number;
  segmenter?: Segmenter;
  continuingSubwordPrefix?: string;
  /** Longer words can only ever become [UNK], so they are left out of training. */
  maxInputCharsPerWord?: number;
}

export const defaultTrainingSpecialTokens: readonly string[] = [
  bertSpecialTokens.pad,
  bertSpecialTokens.unk,
  bertSpecialTokens.cls,
  bertSpecialTokens.sep,
  bertSpecialTokens.mask,
];

/** Occurrences of each pre-tokenized word, normalised exactly as the tokenizer will see it. */
export async function countWords(
  sentences: AsyncIterable<string> | Iterable<string>,
  normalizer: NormalizerOptions,
  segmenter?: Segmenter,
  maxInputCharsPerWord = defaultWordPieceOptions.maxInputCharsPerWord,
): Promise<{ counts: Map<string, number>; sentences: number }> {
  // Mutable cells: a repeated word then costs one hash lookup instead of a get and a set.
  const cells = new Map<string, { count: number }>();
  let sentenceCount = 0;
  const addSentence = (sentence: string): void => {
    sentenceCount += 1;
    const source = segmenter === undefined ? sentence : segmenter.segment(sentence);
    for (const word of splitWords(normalizeBert(source, normalizer))) {
      const cell = cells.get(word);
      if (cell !== undefined) cell.count += 1;
      else if (word.length <= maxInputCharsPerWord || [...word].length <= maxInputCharsPerWord)
        cells.set(word, { count: 1 });
    }
  };
  if (Symbol.asyncIterator in sentences) {
    for await (const sentence of sentences) addSentence(sentence);
  } else {
    // `for await` over a plain iterable would cost a promise per sentence.
    for (const sentence of sentences) addSentence(sentence);
  }
  const counts = new Map<string, number>();
  for (const [word, cell] of cells) counts.set(word, cell.count);
  return { counts, sentences: sentenceCount };
}

/**
 * Learns a BERT WordPiece vocabulary (Hugging Face's WordPiece trainer algorithm). The result,
 * written as vocab.txt or passed to `new WordPieceTokenizer(vocab, sameOptions)`, tokenizes
 * every training word without [UNK] as long as `limitAlphabet` dropped none of its characters.
 */
export async function trainWordPiece(
  sentences: AsyncIterable<string> | Iterable<string>,
  options: WordPieceTrainingOptions,
): Promise<string[]> {
  const specialTokens = options.specialTokens ?? [...defaultTrainingSpecialTokens];
  if (!Number.isInteger(options.vocabSize) || options.vocabSize <= specialTokens.length) {
    throw new RangeError(`vocabSize must be an integer above the ${specialTokens.length} special tokens`);
  }
  const lowercase = options.lowercase ?? true;
  const { counts } = await countWords(
    sentences,
    {
      cleanText: true,
      handleChineseChars: options.handleChineseChars ?? true,
      lowercase,
      stripAccents: options.stripAccents ?? null,
    },
    options.segmenter,
    options.maxInputCharsPerWord ?? defaultWordPieceOptions.maxInputCharsPerWord,
  );
  return learnVocabulary(counts, {
    vocabSize: options.vocabSize,
    minFrequency: options.minFrequency ?? 2,
    specialTokens,
    limitAlphabet: options.limitAlphabet,
    continuingSubwordPrefix: options.continuingSubwordPrefix ?? defaultWordPieceOptions.continuingSubwordPrefix,
  });
}
