import * as path from "node:path";
import { BabelbedError } from "../../util/errors.js";
import { writeJsonAtomic } from "../../util/files.js";
import { isObject, readOptionalJsonObject, type JsonObject } from "../json-fields.js";
import type { PoolingConfigStyle } from "./pooling.js";

export type SimilarityFunction = "cosine" | "dot" | "euclidean" | "manhattan";

/** config_sentence_transformers.json as data. */
export interface SentenceTransformerConfig {
  /** Library versions the model was saved with (`__version__`). */
  versions: Record<string, string>;
  prompts: Record<string, string>;
  defaultPromptName: string | null;
  similarityFunction: string | null;
}

/**
 * Versions recorded when the caller gives none: the releases whose on-disk format this
 * writer reproduces (the fixtures were checked against them). sentence-transformers only
 * compares its own entry, to warn when a model is newer than the installed library.
 */
export const defaultLibraryVersions: Readonly<Record<string, string>> = {
  sentence_transformers: "6.0.1",
  transformers: "5.18.0",
};

export interface LayoutWriteOptions {
  /** "compatible" (default): a pooling config every sentence-transformers release from 2.x to 6 reads; see `PoolingConfigStyle`. */
  poolingConfigStyle?: PoolingConfigStyle;
  versions?: Record<string, string>;
  prompts?: Record<string, string>;
  defaultPromptName?: string | null;
  similarityFunction?: SimilarityFunction;
}

function stringMap(value: unknown, key: string, file: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isObject(value) || !Object.values(value).every((item) => typeof item === "string")) {
    throw new BabelbedError(`${file}: field "${key}" must be an object of strings`);
  }
  return value as Record<string, string>;
}

/** Reads config_sentence_transformers.json; undefined when the directory has none. */
export async function readSentenceTransformerConfig(dir: string): Promise<SentenceTransformerConfig | undefined> {
  const file = path.join(dir, "config_sentence_transformers.json");
  const json = await readOptionalJsonObject(file);
  if (json === undefined) return undefined;
  const nullableString = (key: string): string | null => {
    const value = json[key];
    if (value === undefined || value === null) return null;
    if (typeof value !== "string") throw new BabelbedError(`${file}: field "${key}" must be a string or null`);
    return value;
  };
  return {
    versions: stringMap(json.__version__, "__version__", file),
    prompts: stringMap(json.prompts, "prompts", file),
    defaultPromptName: nullableString("default_prompt_name"),
    similarityFunction: nullableString("similarity_fn_name"),
  };
}

/** Writes config_sentence_transformers.json: library versions, prompts, similarity function. */
export async function writeSentenceTransformerConfig(dir: string, options: LayoutWriteOptions = {}): Promise<void> {
  const config: JsonObject = {
    model_type: "SentenceTransformer",
    __version__: options.versions ?? { ...defaultLibraryVersions },
    prompts: options.prompts ?? {},
    default_prompt_name: options.defaultPromptName ?? null,
    similarity_fn_name: options.similarityFunction ?? "cosine",
  };
  await writeJsonAtomic(path.join(dir, "config_sentence_transformers.json"), config);
}
