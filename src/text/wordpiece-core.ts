import { normalizeBert, splitWords, type NormalizerOptions } from "./basic.js";
import { bertSpecialTokens, specialTokenNames, type SpecialTokenStrings } from "./special-tokens.js";
import { SpecialTokenSplitter } from "./special-split.js";
import { contentBudget, earlyStopLength, longestFirstLengths } from "./truncation.js";
import type { TokenizerEncodeOptions, Encoding, Segmenter, SpecialTokenIds } from "./types.js";
import { WordPieceModel, defaultWordPieceOptions } from "./wordpiece.js";

export interface WordPieceTokenizerOptions {
  /** Hugging Face's BertTokenizer default is true. */
  lowercase?: boolean;
  /** `null` (the default) strips accents exactly when lowercasing. */
  stripAccents?: boolean | null;
  handleChineseChars?: boolean;
  specialTokens?: Partial<SpecialTokenStrings>;
  /** More strings that are never split, such as language tags. */
  additionalSpecialTokens?: string[];
  modelMaxLength?: number;
  continuingSubwordPrefix?: string;
  maxInputCharsPerWord?: number;
  /** Applied to the raw text before normalisation, e.g. Japanese word segmentation. */
  segmenter?: Segmenter;
  /** tokenizer_config.json keys to keep when saving (those of the loaded checkpoint). */
  baseConfig?: Record<string, unknown>;
}

/** What `new WordPieceCore(vocab, settings)` needs to tokenize as the original did: all but the segmenter and saved-config extras. */
export interface WordPieceSettings {
  lowercase: boolean;
  stripAccents: boolean | null;
  handleChineseChars: boolean;
  specialTokens: SpecialTokenStrings;
  additionalSpecialTokens: string[];
  continuingSubwordPrefix: string;
  maxInputCharsPerWord: number;
  modelMaxLength?: number;
}

/**
 * BERT WordPiece tokenization with the exact semantics of Hugging Face fast tokenizers, without
 * file I/O, so that the browser runtime (see io/tfjs/) bundles the very code Node runs.
 * `WordPieceTokenizer` adds `save`.
 */
export class WordPieceCore {
  readonly special: SpecialTokenIds;
  readonly specialTokens: SpecialTokenStrings;
  readonly modelMaxLength: number | undefined;
  readonly segmenter: Segmenter | undefined;
  protected readonly model: WordPieceModel;
  protected readonly normalizer: NormalizerOptions;
  protected readonly splitter: SpecialTokenSplitter;
  protected readonly additionalSpecialTokens: string[];
  protected readonly baseConfig: Record<string, unknown>;
  /** Token strings by id. */
  readonly vocab: readonly string[];

  constructor(vocab: readonly string[], options: WordPieceTokenizerOptions = {}) {
    // A private copy: the caller's array could change under the lookup tables.
    this.vocab = [...vocab];
    this.specialTokens = { ...bertSpecialTokens, ...options.specialTokens };
    this.model = new WordPieceModel(this.vocab, {
      unkToken: this.specialTokens.unk,
      continuingSubwordPrefix: options.continuingSubwordPrefix ?? defaultWordPieceOptions.continuingSubwordPrefix,
      maxInputCharsPerWord: options.maxInputCharsPerWord ?? defaultWordPieceOptions.maxInputCharsPerWord,
    });
    this.normalizer = {
      cleanText: true,
      handleChineseChars: options.handleChineseChars ?? true,
      lowercase: options.lowercase ?? true,
      stripAccents: options.stripAccents ?? null,
    };
    const ids = {} as SpecialTokenIds;
    const neverSplit = new Map<string, number>();
    for (const name of specialTokenNames) {
      ids[name] = this.requireId(this.specialTokens[name]);
      neverSplit.set(this.specialTokens[name], ids[name]);
    }
    this.additionalSpecialTokens = [...(options.additionalSpecialTokens ?? [])];
    for (const token of this.additionalSpecialTokens) neverSplit.set(token, this.requireId(token));
    this.special = ids;
    this.splitter = new SpecialTokenSplitter(neverSplit);
    this.modelMaxLength = options.modelMaxLength;
    this.segmenter = options.segmenter;
    this.baseConfig = options.baseConfig ?? {};
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  get lowercase(): boolean {
    return this.normalizer.lowercase;
  }

  tokenToId(token: string): number | undefined {
    return this.model.tokenToId(token);
  }

  idToToken(id: number): string {
    const token = this.vocab[id];
    if (token === undefined) throw new RangeError(`token id ${id} is outside the vocabulary (size ${this.vocabSize})`);
    return token;
  }

  tokenize(text: string): string[] {
    return this.encodeText(text).map((id) => this.vocab[id] as string);
  }

  encode(text: string, options: TokenizerEncodeOptions = {}): Encoding {
    const { maxLength } = options;
    // transformers treats an empty second text as no pair at all.
    const pair = options.pair === "" ? undefined : options.pair;
    if (pair === undefined) {
      if (maxLength === undefined) return assemble([this.special.cls, ...this.encodeText(text), this.special.sep], 0);
      // Stopping early only saves work on long texts: the kept prefix is the same.
      const ids = this.encodeText(text, maxLength).slice(0, contentBudget(maxLength, 2));
      return assemble([this.special.cls, ...ids, this.special.sep], 0);
    }
    let first: number[];
    let second: number[];
    if (maxLength === undefined) {
      first = this.encodeText(text);
      second = this.encodeText(pair);
    } else {
      const budget = contentBudget(maxLength, 3);
      const stop = earlyStopLength(maxLength);
      first = this.encodeText(text, stop);
      second = this.encodeText(pair, stop);
      const [keepFirst, keepSecond] = longestFirstLengths(first.length, second.length, budget);
      first = first.slice(0, keepFirst);
      second = second.slice(0, keepSecond);
    }
    const encoding = assemble([this.special.cls, ...first, this.special.sep], 0);
    const tail = assemble([...second, this.special.sep], 1);
    return {
      inputIds: encoding.inputIds.concat(tail.inputIds),
      tokenTypeIds: encoding.tokenTypeIds.concat(tail.tokenTypeIds),
      attentionMask: encoding.attentionMask.concat(tail.attentionMask),
    };
  }

  encodeBatch(texts: string[], options: { maxLength?: number } = {}): Encoding[] {
    return texts.map((text) => this.encode(text, options));
  }

  /** Content token ids, stopping at the first word boundary with at least `stopAfter` ids. */
  encodeText(text: string, stopAfter = Number.POSITIVE_INFINITY): number[] {
    const ids: number[] = [];
    for (const section of this.splitter.split(text)) {
      if (ids.length >= stopAfter) break;
      if (section.specialId !== undefined) {
        ids.push(section.specialId);
        continue;
      }
      const source = this.segmenter === undefined ? section.text : this.segmenter.segment(section.text);
      for (const word of splitWords(normalizeBert(source, this.normalizer))) {
        if (ids.length >= stopAfter) break;
        this.model.encodeWord(word, ids);
      }
    }
    return ids;
  }

  /** The settings that, with `vocab`, rebuild this tokenizer elsewhere (the tfjs export's model.json). */
  settings(): WordPieceSettings {
    return {
      lowercase: this.normalizer.lowercase,
      stripAccents: this.normalizer.stripAccents,
      handleChineseChars: this.normalizer.handleChineseChars,
      specialTokens: { ...this.specialTokens },
      additionalSpecialTokens: [...this.additionalSpecialTokens],
      continuingSubwordPrefix: this.model.options.continuingSubwordPrefix,
      maxInputCharsPerWord: this.model.options.maxInputCharsPerWord,
      ...(this.modelMaxLength === undefined ? {} : { modelMaxLength: this.modelMaxLength }),
    };
  }

  private requireId(token: string): number {
    const id = this.model.tokenToId(token);
    if (id === undefined) throw new Error(`special token ${JSON.stringify(token)} is not in the vocabulary`);
    return id;
  }
}

function assemble(ids: number[], tokenType: number): Encoding {
  return {
    inputIds: ids,
    tokenTypeIds: new Array<number>(ids.length).fill(tokenType),
    attentionMask: new Array<number>(ids.length).fill(1),
  };
}

/** vocab.txt: one token per line; only the line break is removed, as transformers does. */
export function parseVocab(text: string): string[] {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines.map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line));
}
