import * as path from "node:path";
import { Tokenizer as LibraryTokenizer } from "@huggingface/tokenizers";
import { BabelbedError, writeJsonAtomic } from "../util/files.js";
import { configFilesFor, isRecord, specialTokenNames, type SpecialTokenStrings, type TokenizerFileConfig } from "./config.js";
import { jsonNormalizer } from "./normalizers.js";
import { SpecialTokenSplitter, type TextSection } from "./special-split.js";
import { applyTemplate, specialCount, specialTemplate, type SpecialTemplate } from "./template.js";
import type { TokenizerJson } from "./tokenizer-json.js";
import { contentBudget, earlyStopLength, longestFirstLengths } from "./truncation.js";
import type { EncodeOptions, Encoding, Segmenter, SpecialTokenIds, Tokenizer } from "./types.js";

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
  private readonly rawSplitter: SpecialTokenSplitter;
  private readonly stripAround = new Map<number, { left: boolean; right: boolean }>();
  private readonly normalize: (text: string) => string;
  private readonly splitMetaspace: string | undefined;

  constructor(
    readonly json: TokenizerJson,
    private readonly config: TokenizerFileConfig,
    readonly segmenter?: Segmenter,
  ) {
    // The library insists on these keys even when a step is absent.
    const complete = { normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null, added_tokens: [], ...json };
    this.library = new LibraryTokenizer(complete, config.raw);
    const raw = new Map<string, number>();
    for (const token of this.library.get_added_tokens_decoder().values()) {
      // Tokens flagged `normalized` would have to be matched after normalisation; BERT, XLM-R and
      // sentence-transformers checkpoints only use raw-matched special tokens.
      raw.set(token.content, token.id);
      this.stripAround.set(token.id, { left: token.lstrip, right: token.rstrip });
    }
    this.rawSplitter = new SpecialTokenSplitter(raw);
    this.normalize = jsonNormalizer(json.normalizer);
    const preTokenizer = json.pre_tokenizer;
    // The library keeps a Metaspace section whole; the Rust crate splits it before each "▁".
    this.splitMetaspace =
      isRecord(preTokenizer) && preTokenizer.type === "Metaspace" && preTokenizer.split !== false
        ? String(preTokenizer.replacement ?? "\u2581")
        : undefined;
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

  encode(text: string, options: EncodeOptions = {}): Encoding {
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
    const sections = this.stripSpaces(this.rawSplitter.split(text));
    const { model, pre_tokenizer: preTokenizer } = this.library;
    if (model === null) throw new BabelbedError("tokenizer.json has no model");
    let sectionIndex = 0;
    for (const section of sections) {
      if (ids.length >= stopAfter) break;
      if (section.specialId !== undefined) {
        ids.push(section.specialId);
      } else if (section.text.length > 0) {
        const source = this.segmenter === undefined ? section.text : this.segmenter.segment(section.text);
        const normalized = this.normalize(source);
        // The crate drops sections that normalise to nothing ("   " under XLM-R's Strip), so the
        // pre-tokenizer never prepends a lone "▁" to them.
        if (normalized.length === 0) {
          sectionIndex += 1;
          continue;
        }
        let words: string[] = preTokenizer === null ? [normalized] : preTokenizer(normalized, { section_index: sectionIndex });
        if (this.splitMetaspace !== undefined) words = words.flatMap((word) => splitBefore(word, this.splitMetaspace as string));
        for (const word of words) {
          if (ids.length >= stopAfter) break;
          for (const token of model([word])) ids.push(model.tokens_to_ids.get(token) ?? this.special.unk);
        }
      }
      sectionIndex += 1;
    }
    return ids;
  }

  /** Writes tokenizer.json unchanged with the config files, atomically. */
  async save(dir: string): Promise<void> {
    const { tokenizerConfig, specialTokensMap } = configFilesFor(this.config.raw, {
      tokenizerClass: typeof this.config.raw.tokenizer_class === "string" ? this.config.raw.tokenizer_class : "PreTrainedTokenizerFast",
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
        throw new BabelbedError(`tokenizer.json: cannot tell which token is the ${name} token; name it in tokenizer_config.json`);
      }
      resolved[name] = token;
    }
    return resolved;
  }

  /** Added tokens with lstrip/rstrip swallow the whitespace next to them (XLM-R's <mask>). */
  private stripSpaces(sections: TextSection[]): TextSection[] {
    const result = sections.map((section) => ({ ...section }));
    result.forEach((section, index) => {
      if (section.specialId === undefined) return;
      const strip = this.stripAround.get(section.specialId);
      const before = result[index - 1];
      const after = result[index + 1];
      if (strip?.left && before !== undefined && before.specialId === undefined) before.text = before.text.trimEnd();
      if (strip?.right && after !== undefined && after.specialId === undefined) after.text = after.text.trimStart();
    });
    return result;
  }
}

/** "▁Hello▁world" becomes ["▁Hello", "▁world"], the Rust crate's MergedWithNext split. */
function splitBefore(text: string, marker: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let index = text.indexOf(marker, 1); index !== -1; index = text.indexOf(marker, index + marker.length)) {
    parts.push(text.slice(start, index));
    start = index;
  }
  parts.push(text.slice(start));
  return parts.filter((part) => part.length > 0);
}
