import { promises as fs } from "node:fs";
import * as path from "node:path";
import { BabelbedError } from "../util/errors.js";
import { exists, readJsonFile } from "../util/files.js";
import { readTokenizerConfig, type TokenizerFileConfig } from "./config.js";
import { JsonTokenizer } from "./pipeline-tokenizer.js";
import { segmenterFor } from "./segmenter.js";
import { plainBertPipeline, type TokenizerJson } from "./tokenizer-json-format.js";
import type { Segmenter, Tokenizer } from "./types.js";
import { parseVocab } from "./wordpiece-core.js";
import { WordPieceTokenizer } from "./wordpiece-tokenizer.js";

export interface LoadTokenizerOptions {
  /** Overrides the segmenter recorded in tokenizer_config.json. */
  segmenter?: Segmenter;
}

/**
 * Loads the tokenizer of a Hugging Face checkpoint folder. tokenizer.json wins over vocab.txt, as
 * in transformers; a tokenizer.json that is plain BERT WordPiece runs on babelbed's own exact and
 * faster implementation, anything else (XLM-R's Unigram, BPE) on @huggingface/tokenizers.
 */
export async function loadTokenizer(dir: string, options: LoadTokenizerOptions = {}): Promise<Tokenizer> {
  const config = await readTokenizerConfig(dir);
  const segmenter = options.segmenter ?? (await recordedSegmenter(config, dir));
  const jsonFile = path.join(dir, "tokenizer.json");
  if (await exists(jsonFile)) {
    const json = await readJsonFile<TokenizerJson>(jsonFile);
    if (typeof json !== "object" || json === null || typeof json.model !== "object" || json.model === null) {
      throw new BabelbedError(`${jsonFile}: not a Hugging Face tokenizer.json (no "model")`);
    }
    const bert = plainBertPipeline(json);
    if (bert === undefined) {
      try {
        return new JsonTokenizer(json, config, segmenter);
      } catch (error) {
        const message = (error as Error).message;
        // The tokenizer's own messages say "tokenizer.json"; the user needs to know which one.
        if (error instanceof BabelbedError && message.includes(jsonFile)) throw error;
        throw new BabelbedError(`${jsonFile}: ${message.replace(/^tokenizer\.json: /, "")}`);
      }
    }
    const normalizer = bert.normalizer;
    // transformers' BertTokenizerFast lets tokenizer_config.json override the normaliser.
    return wordPieceTokenizer(bert.vocab, config, segmenter, jsonFile, {
      lowercase: config.lowercase ?? normalizer.lowercase !== false,
      stripAccents:
        config.stripAccents !== undefined
          ? config.stripAccents
          : typeof normalizer.strip_accents === "boolean"
            ? normalizer.strip_accents
            : null,
      handleChineseChars: config.handleChineseChars ?? normalizer.handle_chinese_chars !== false,
      specialTokens: { unk: bert.unkToken, cls: bert.clsToken, sep: bert.sepToken },
      continuingSubwordPrefix: bert.prefix,
      maxInputCharsPerWord: bert.maxChars,
    });
  }
  const vocabFile = path.join(dir, "vocab.txt");
  if (!(await exists(vocabFile))) {
    throw new BabelbedError(`${dir}: no tokenizer.json or vocab.txt`);
  }
  const vocab = parseVocab(await fs.readFile(vocabFile, "utf8"));
  return wordPieceTokenizer(vocab, config, segmenter, vocabFile, {
    // transformers' BertTokenizer defaults, used when tokenizer_config.json is silent.
    lowercase: config.lowercase ?? true,
    stripAccents: config.stripAccents === undefined ? null : config.stripAccents,
    handleChineseChars: config.handleChineseChars ?? true,
  });
}

export { parseVocab };

function wordPieceTokenizer(
  vocab: string[],
  config: TokenizerFileConfig,
  segmenter: Segmenter | undefined,
  source: string,
  settings: ConstructorParameters<typeof WordPieceTokenizer>[1] & object,
): WordPieceTokenizer {
  try {
    return new WordPieceTokenizer(vocab, {
      ...settings,
      // The config files name the special tokens; tokenizer.json values only fill gaps.
      specialTokens: { ...settings.specialTokens, ...config.special },
      additionalSpecialTokens: config.additionalSpecialTokens,
      modelMaxLength: config.modelMaxLength,
      segmenter,
      baseConfig: config.raw,
    });
  } catch (error) {
    throw new BabelbedError(`${source}: ${(error as Error).message}`);
  }
}

async function recordedSegmenter(config: TokenizerFileConfig, dir: string): Promise<Segmenter | undefined> {
  if (config.segmenterLanguage === undefined) return undefined;
  const segmenter = await segmenterFor(config.segmenterLanguage);
  if (segmenter === undefined) {
    throw new BabelbedError(
      `${dir}: tokenizer_config.json asks for an unknown segmenter "${config.segmenterLanguage}"`,
    );
  }
  return segmenter;
}
