import * as path from "node:path";
import { Tokenizer as LibraryTokenizer } from "@huggingface/tokenizers";
import { BabelbedError } from "../util/errors.js";
import { writeJsonAtomic } from "../util/files.js";
import { configFilesFor, specialTokenNames, type SpecialTokenStrings, type TokenizerFileConfig } from "./config.js";
import { jsonNormalizer } from "./normalizers.js";
import { AddedVocabulary } from "./added-tokens.js";
import { jsonPreTokenizer, type PreTokenize } from "./pre-tokenizers.js";
import { applyTemplate, specialCount, specialTemplate, type SpecialTemplate } from "./template.js";
import type { TokenizerJson } from "./tokenizer-json-format.js";
import { contentBudget, earlyStopLength, longestFirstLengths } from "./truncation.js";
import type { TokenizerEncodeOptions, Encoding, Segmenter, SpecialTokenIds, Tokenizer } from "./types.js";

/** Conventional spellings, tried when the config files do not name a special token. */
const conventionalSpellings: Record<keyof SpecialTokenIds, string[]> = {
  cls: ["[CLS]", "<s>"],
  sep: ["[SEP]", "</s>"],
  pad: ["[PAD]", "<pad>"],
  mask: ["[MASK]", "<mask>"],
  unk: ["[UNK]", "<unk>"],
};

/**
 * Any Hugging Face tokenizer.json (SentencePiece/Unigram as in XLM-R, BPE, WordPiece), run by
 * @huggingface/tokenizers. Babelbed drives the pipeline steps itself so that it can stop at word
 * boundaries for pair truncation, apply a segmenter, and normalise exactly as the Rust crate
 * (normalizers.ts: the library differs on Precompiled, final sigma, astral ideographs, whitespace).
 */
export class JsonTokenizer implements Tokenizer {
  readonly special: SpecialTokenIds;
  readonly specialTokens: SpecialTokenStrings;
  private readonly library: LibraryTokenizer;
  private readonly template: SpecialTemplate;
  private readonly addedVocabulary: AddedVocabulary;
  private readonly normalize: (text: string) => string;
  private readonly preTokenize: PreTokenize;

  constructor(
    readonly json: TokenizerJson,
    private readonly config: TokenizerFileConfig,
    readonly segmenter?: Segmenter,
  ) {
    // The library insists on these keys even when a step is absent.
    const complete = {
      normalizer: null,
      pre_tokenizer: null,
      post_processor: null,
      decoder: null,
      added_tokens: [],
      ...json,
    };
    this.library = new LibraryTokenizer(complete, config.raw);
    this.normalize = jsonNormalizer(json.normalizer);
    this.addedVocabulary = new AddedVocabulary(json.added_tokens ?? [], this.normalize);
    const libraryPreTokenizer = this.library.pre_tokenizer;
    this.preTokenize = jsonPreTokenizer(
      json.pre_tokenizer,
      libraryPreTokenizer === null ? null : (text, options) => libraryPreTokenizer(text, options),
    );
    this.specialTokens = this.resolveSpecialTokens();
    const ids = {} as SpecialTokenIds;
    for (const name of specialTokenNames) ids[name] = this.idOf(this.specialTokens[name]);
    this.special = ids;
    this.template = specialTemplate(json.post_processor, (token) => this.idOf(token));
  }

  get vocabSize(): number {
    return this.library.model?.vocab.length ?? 0;
  }

  get modelMaxLength(): number | undefined {
    return this.config.modelMaxLength;
  }

  idToToken(id: number): string {
    const token = this.library.id_to_token(id);
    if (token === undefined) throw new RangeError(`token id ${id} is outside the vocabulary (size ${this.vocabSize})`);
    return token;
  }

  tokenize(text: string): string[] {
    return this.encodeText(text).map((id) => this.idToToken(id));
  }

  encode(text: string, options: TokenizerEncodeOptions = {}): Encoding {
    const { maxLength } = options;
    // transformers treats an empty second text as no pair at all.
    const pair = options.pair === "" ? undefined : options.pair;
    let laidOut: { ids: number[]; typeIds: number[] };
    if (pair === undefined) {
      let ids = this.encodeText(text, maxLength);
      if (maxLength !== undefined) ids = ids.slice(0, contentBudget(maxLength, specialCount(this.template.single)));
      laidOut = applyTemplate(this.template.single, ids);
    } else {
      const stop = maxLength === undefined ? undefined : earlyStopLength(maxLength);
      let first = this.encodeText(text, stop);
      let second = this.encodeText(pair, stop);
      if (maxLength !== undefined) {
        const budget = contentBudget(maxLength, specialCount(this.template.pair));
        const [keepFirst, keepSecond] = longestFirstLengths(first.length, second.length, budget);
        first = first.slice(0, keepFirst);
        second = second.slice(0, keepSecond);
      }
      laidOut = applyTemplate(this.template.pair, first, second);
    }
    return {
      inputIds: laidOut.ids,
      tokenTypeIds: laidOut.typeIds,
      attentionMask: new Array<number>(laidOut.ids.length).fill(1),
    };
  }

  encodeBatch(texts: string[], options: { maxLength?: number } = {}): Encoding[] {
    return texts.map((text) => this.encode(text, options));
  }

  /** Content token ids, stopping at the first word boundary with at least `stopAfter` ids. */
  encodeText(text: string, stopAfter: number = Number.POSITIVE_INFINITY): number[] {
    const ids: number[] = [];
    const { model } = this.library;
    if (model === null) throw new BabelbedError("tokenizer.json has no model");
    const segment =
      this.segmenter === undefined ? undefined : (piece: string) => (this.segmenter as Segmenter).segment(piece);
    for (const split of this.addedVocabulary.extractAndNormalize(text, segment)) {
      if (ids.length >= stopAfter) break;
      if (split.id !== undefined) {
        ids.push(split.id);
        continue;
      }
      for (const word of this.preTokenize(split.text, split.atStart)) {
        if (ids.length >= stopAfter) break;
        for (const token of model([word])) ids.push(model.tokens_to_ids.get(token) ?? this.special.unk);
      }
    }
    return ids;
  }

  /** Writes tokenizer.json unchanged with the config files, atomically. */
  async save(dir: string): Promise<void> {
    const { tokenizerConfig, specialTokensMap } = configFilesFor(this.config.raw, {
      tokenizerClass:
        typeof this.config.raw.tokenizer_class === "string"
          ? this.config.raw.tokenizer_class
          : "PreTrainedTokenizerFast",
      special: this.specialTokens,
      additionalSpecialTokens: this.config.additionalSpecialTokens,
      modelMaxLength: this.config.modelMaxLength,
      segmenterLanguage: this.segmenter?.language,
      fields: {},
    });
    await writeJsonAtomic(path.join(dir, "tokenizer.json"), this.json);
    await writeJsonAtomic(path.join(dir, "special_tokens_map.json"), specialTokensMap);
    await writeJsonAtomic(path.join(dir, "tokenizer_config.json"), tokenizerConfig);
  }

  private idOf(token: string): number {
    const id = this.library.token_to_id(token);
    if (id === undefined) throw new BabelbedError(`special token ${JSON.stringify(token)} is not in tokenizer.json`);
    return id;
  }

  private resolveSpecialTokens(): SpecialTokenStrings {
    const resolved = {} as SpecialTokenStrings;
    for (const name of specialTokenNames) {
      const token =
        this.config.special[name] ??
        conventionalSpellings[name].find((candidate) => this.library.token_to_id(candidate) !== undefined);
      if (token === undefined) {
        throw new BabelbedError(
          `tokenizer.json: cannot tell which token is the ${name} token; name it in tokenizer_config.json`,
        );
      }
      resolved[name] = token;
    }
    return resolved;
  }
}
