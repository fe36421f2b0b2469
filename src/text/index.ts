export type { Encoding, TokenizerEncodeOptions, Segmenter, SpecialTokenIds, Tokenizer } from "./types.js";
export { loadTokenizer, parseVocab, type LoadTokenizerOptions } from "./load.js";
export { WordPieceTokenizer, type WordPieceTokenizerOptions } from "./wordpiece-tokenizer.js";
export { WordPieceCore, type WordPieceSettings } from "./wordpiece-core.js";
export { JsonTokenizer } from "./pipeline-tokenizer.js";
export { bertTokenizerJson, type TokenizerJson } from "./tokenizer-json-format.js";
export {
  readTokenizerConfig,
  bertSpecialTokens,
  type TokenizerFileConfig,
  type SpecialTokenStrings,
} from "./config.js";
export { normalizeBert, splitWords, type NormalizerOptions } from "./basic.js";
export {
  trainWordPiece,
  countWords,
  defaultTrainingSpecialTokens,
  type WordPieceTrainingOptions,
} from "./vocabulary-trainer.js";
export {
  benchmarkVocabTraining,
  syntheticSentences,
  type VocabTrainingBenchmark,
  type VocabTrainingBenchmarkOptions,
} from "./benchmark.js";
export { createJapaneseSegmenter, segmenterFor } from "./segmenter.js";
export { findLanguage, languages, parseLanguages, type Language } from "./languages.js";
