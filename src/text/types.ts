/** Model inputs for one sequence or one sequence pair, unpadded. */
export interface Encoding {
  inputIds: number[];
  tokenTypeIds: number[];
  attentionMask: number[];
}

export interface SpecialTokenIds {
  cls: number;
  sep: number;
  pad: number;
  mask: number;
  unk: number;
}

export interface TokenizerEncodeOptions {
  /** Second sequence; `[CLS] a [SEP] b [SEP]` with token types 0 then 1. */
  pair?: string;
  /** Total length including special tokens; longer inputs are truncated `longest_first`. */
  maxLength?: number;
}

export interface Tokenizer {
  readonly vocabSize: number;
  readonly special: SpecialTokenIds;
  /** Word pieces of the text, without special tokens. */
  tokenize(text: string): string[];
  encode(text: string, options?: TokenizerEncodeOptions): Encoding;
  encodeBatch(texts: string[], options?: { maxLength?: number }): Encoding[];
  idToToken(id: number): string;
  /** Writes the tokenizer files atomically; the folder loads back here and in Hugging Face. */
  save(dir: string): Promise<void>;
}

/** Splits text of a language written without spaces into space-separated words. */
export interface Segmenter {
  /**
   * Language code recorded in tokenizer_config.json so that a saved tokenizer reloads with the
   * same segmenter (see `segmenterFor`); a segmenter without one is not recorded.
   */
  readonly language?: string;
  segment(text: string): string;
}
