import * as path from "node:path";
import { writeFileAtomic, writeJsonAtomic } from "../util/files.js";
import { configFilesFor } from "./config.js";
import { bertTokenizerJson } from "./tokenizer-json-format.js";
import type { Tokenizer } from "./types.js";
import { WordPieceCore } from "./wordpiece-core.js";

export type { WordPieceSettings, WordPieceTokenizerOptions } from "./wordpiece-core.js";

/** BERT WordPiece tokenizer with the exact semantics of Hugging Face fast tokenizers; `WordPieceCore` plus saving. */
export class WordPieceTokenizer extends WordPieceCore implements Tokenizer {
  /** Writes vocab.txt and the equivalent tokenizer.json, so slow and fast HF loaders agree. */
  async save(dir: string): Promise<void> {
    const { tokenizerConfig, specialTokensMap } = configFilesFor(this.baseConfig, {
      tokenizerClass: "BertTokenizer",
      special: this.specialTokens,
      additionalSpecialTokens: this.additionalSpecialTokens,
      modelMaxLength: this.modelMaxLength,
      segmenterLanguage: this.segmenter?.language,
      fields: {
        do_lower_case: this.normalizer.lowercase,
        strip_accents: this.normalizer.stripAccents,
        tokenize_chinese_chars: this.normalizer.handleChineseChars,
      },
    });
    const json = bertTokenizerJson(this.vocab, {
      lowercase: this.normalizer.lowercase,
      stripAccents: this.normalizer.stripAccents,
      handleChineseChars: this.normalizer.handleChineseChars,
      specialTokens: this.specialTokens,
      additionalSpecialTokens: this.additionalSpecialTokens,
      continuingSubwordPrefix: this.model.options.continuingSubwordPrefix,
      maxInputCharsPerWord: this.model.options.maxInputCharsPerWord,
    });
    const broken = this.vocab.find((token) => /[\r\n]/.test(token));
    if (broken !== undefined) throw new Error(`token ${JSON.stringify(broken)} cannot be written to vocab.txt`);
    await writeFileAtomic(path.join(dir, "vocab.txt"), `${this.vocab.join("\n")}\n`);
    await writeJsonAtomic(path.join(dir, "tokenizer.json"), json);
    await writeJsonAtomic(path.join(dir, "special_tokens_map.json"), specialTokensMap);
    await writeJsonAtomic(path.join(dir, "tokenizer_config.json"), tokenizerConfig);
  }
}
