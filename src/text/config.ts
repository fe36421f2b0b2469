import * as path from "node:path";
import { BabelbedError } from "../util/errors.js";
import { exists, readJsonFile } from "../util/files.js";
import { specialTokenNames, type SpecialTokenStrings } from "./special-tokens.js";

export {
  bertSpecialTokens,
  specialTokenNames,
  type SpecialTokenName,
  type SpecialTokenStrings,
} from "./special-tokens.js";

/** Where babelbed keeps its own settings inside tokenizer_config.json (Hugging Face ignores it). */
export const babelbedConfigKey = "babelbed";

/** What tokenizer_config.json and special_tokens_map.json say, merged; absent keys stay undefined. */
export interface TokenizerFileConfig {
  /** tokenizer_config.json as read, so that keys babelbed does not interpret survive a save. */
  raw: Record<string, unknown>;
  lowercase?: boolean;
  stripAccents?: boolean | null;
  handleChineseChars?: boolean;
  modelMaxLength?: number;
  special: Partial<SpecialTokenStrings>;
  additionalSpecialTokens: string[];
  segmenterLanguage?: string;
}

// transformers writes int(1e30) when a checkpoint does not know its limit.
const unlimitedModelLength = 1e15;

export async function readTokenizerConfig(dir: string): Promise<TokenizerFileConfig> {
  const configFile = path.join(dir, "tokenizer_config.json");
  const mapFile = path.join(dir, "special_tokens_map.json");
  const raw = (await exists(configFile)) ? await readJsonFile<Record<string, unknown>>(configFile) : {};
  const map = (await exists(mapFile)) ? await readJsonFile<Record<string, unknown>>(mapFile) : {};
  if (!isRecord(raw)) throw new BabelbedError(`${configFile}: expected a JSON object`);
  if (!isRecord(map)) throw new BabelbedError(`${mapFile}: expected a JSON object`);
  const special: Partial<SpecialTokenStrings> = {};
  for (const name of specialTokenNames) {
    // tokenizer_config.json is the newer file; the map only fills gaps, as in transformers.
    const value = tokenContent(raw[`${name}_token`]) ?? tokenContent(map[`${name}_token`]);
    if (value !== undefined) special[name] = value;
  }
  const additional = [raw.additional_special_tokens, map.additional_special_tokens]
    .flatMap((list) => (Array.isArray(list) ? list : []))
    .map(tokenContent)
    .filter((token): token is string => token !== undefined);
  const maxLength = raw.model_max_length;
  const babelbed = isRecord(raw[babelbedConfigKey]) ? raw[babelbedConfigKey] : {};
  return {
    raw,
    lowercase: optionalBoolean(raw.do_lower_case, configFile, "do_lower_case"),
    stripAccents: raw.strip_accents === null ? null : optionalBoolean(raw.strip_accents, configFile, "strip_accents"),
    handleChineseChars: optionalBoolean(raw.tokenize_chinese_chars, configFile, "tokenize_chinese_chars"),
    modelMaxLength: typeof maxLength === "number" && maxLength < unlimitedModelLength ? maxLength : undefined,
    special,
    additionalSpecialTokens: [...new Set(additional)],
    segmenterLanguage: typeof babelbed.segmenter === "string" ? babelbed.segmenter : undefined,
  };
}

export interface WrittenConfigFields {
  tokenizerClass: string;
  special: SpecialTokenStrings;
  additionalSpecialTokens: string[];
  modelMaxLength?: number;
  segmenterLanguage?: string;
  /** Class-specific keys such as do_lower_case. */
  fields: Record<string, unknown>;
}

/** tokenizer_config.json and special_tokens_map.json contents for a save. */
export function configFilesFor(
  base: Record<string, unknown>,
  written: WrittenConfigFields,
): {
  tokenizerConfig: Record<string, unknown>;
  specialTokensMap: Record<string, unknown>;
} {
  const specialTokensMap: Record<string, unknown> = {};
  for (const name of specialTokenNames) specialTokensMap[`${name}_token`] = written.special[name];
  if (written.additionalSpecialTokens.length > 0) {
    specialTokensMap.additional_special_tokens = written.additionalSpecialTokens;
  }
  const tokenizerConfig: Record<string, unknown> = {
    ...base,
    ...written.fields,
    tokenizer_class: written.tokenizerClass,
    ...specialTokensMap,
  };
  // Ids may have changed since the file was read, so a stale id table must not survive.
  delete tokenizerConfig.added_tokens_decoder;
  if (written.modelMaxLength !== undefined) tokenizerConfig.model_max_length = written.modelMaxLength;
  const babelbed = isRecord(base[babelbedConfigKey]) ? { ...base[babelbedConfigKey] } : {};
  if (written.segmenterLanguage !== undefined) babelbed.segmenter = written.segmenterLanguage;
  else delete babelbed.segmenter;
  if (Object.keys(babelbed).length > 0) tokenizerConfig[babelbedConfigKey] = babelbed;
  else delete tokenizerConfig[babelbedConfigKey];
  return { tokenizerConfig, specialTokensMap };
}

/** Special tokens are written either as strings or as serialised AddedToken objects. */
function tokenContent(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (isRecord(value) && typeof value.content === "string") return value.content;
  return undefined;
}

function optionalBoolean(value: unknown, file: string, key: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "boolean") throw new BabelbedError(`${file}: ${key} must be true or false`);
  return value;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
