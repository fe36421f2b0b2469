import * as path from "node:path";
import { BabelbedError } from "../../util/errors.js";
import { booleanField, positiveInteger, readJsonObject, type JsonObject } from "../json-fields.js";
import { isPoolingMode, poolingList, poolingModes, type PoolingMode } from "../../model/pooling.js";
import type { PoolingSpec } from "./modules.js";

const legacyPoolingFlags: [string, string][] = [
  ["pooling_mode_cls_token", "cls"],
  ["pooling_mode_max_tokens", "max"],
  ["pooling_mode_mean_tokens", "mean"],
  ["pooling_mode_mean_sqrt_len_tokens", "mean_sqrt_len_tokens"],
  ["pooling_mode_weightedmean_tokens", "weightedmean"],
  ["pooling_mode_lasttoken", "lasttoken"],
];

function configuredModes(json: JsonObject, file: string): string[] {
  const mode = json.pooling_mode;
  if (typeof mode === "string") return [mode];
  if (Array.isArray(mode) && mode.length > 0 && mode.every((item) => typeof item === "string")) return mode as string[];
  if (mode !== undefined && mode !== null) {
    throw new BabelbedError(
      `${file}: field "pooling_mode" must be a mode name or a list of them, got ${JSON.stringify(mode)}`,
    );
  }
  const active = legacyPoolingFlags.filter(([key]) => booleanField(json, key, file, false)).map(([, name]) => name);
  // With no flag set, sentence-transformers falls back to mean pooling.
  return active.length > 0 ? active : ["mean"];
}

/** Modes sentence-transformers also accepts under other spellings. */
const modeAliases: Record<string, PoolingMode> = {
  mean_tokens: "mean",
  max_tokens: "max",
  cls_token: "cls",
  weightedmean_tokens: "weightedmean",
  mean_sqrt_len: "mean_sqrt_len_tokens",
};

export function parsePoolingConfig(json: JsonObject, file: string, modulePath: string): PoolingSpec {
  const key = json.embedding_dimension !== undefined ? "embedding_dimension" : "word_embedding_dimension";
  const dimension = positiveInteger(json, key, file);
  const modes = configuredModes(json, file).map((name) => {
    const lower = name.toLowerCase();
    const mode = Object.hasOwn(modeAliases, lower) ? modeAliases[lower] : lower;
    if (!isPoolingMode(mode)) {
      throw new BabelbedError(
        `${file}: pooling mode "${name}" is not one sentence-transformers has; babelbed supports ${poolingModes.join(", ")}`,
      );
    }
    return mode;
  });
  // Pooling that leaves out prompt tokens differs from babelbed's (which never prepends prompts) as soon as Python adds one.
  if (!booleanField(json, "include_prompt", file, true)) {
    throw new BabelbedError(
      `${file}: field "include_prompt" is false (pool without the prompt's tokens), which babelbed cannot represent; set it to true or remove it`,
    );
  }
  return {
    kind: "pooling",
    path: modulePath,
    mode: modes.length === 1 ? modes[0]! : modes,
    dimension,
    includePrompt: true,
  };
}

export async function readPoolingModule(dir: string, modulePath: string): Promise<PoolingSpec> {
  const file = path.join(dir, modulePath, "config.json");
  return parsePoolingConfig(await readJsonObject(file), file, modulePath);
}

/**
 * "compatible" (default) is what every sentence-transformers release from 2.x to 6 reads:
 * the legacy per-mode flags, with the weightedmean/lasttoken flags (newer than 2.0) and
 * include_prompt (newer than 2.3) written only when set. "current" is what
 * sentence-transformers 6 writes ({embedding_dimension, pooling_mode, include_prompt}).
 * "legacy" is the full flag set sentence-transformers 5 writes.
 */
export type PoolingConfigStyle = "compatible" | "current" | "legacy";

/** Whether the flags' fixed order (cls, max, mean, ...) gives the same concatenation as `modes`. */
function inFlagOrder(modes: PoolingMode[]): boolean {
  const order = modes.map((mode) => poolingModes.indexOf(mode));
  return order.every((position, index) => index === 0 || position > order[index - 1]!);
}

export function formatPoolingConfig(spec: PoolingSpec, style: PoolingConfigStyle): JsonObject {
  const includePrompt = spec.includePrompt ?? true;
  const modes = poolingList(spec.mode);
  const current = {
    embedding_dimension: spec.dimension,
    pooling_mode: modes.length === 1 ? modes[0]! : modes,
    include_prompt: includePrompt,
  };
  // Flags cannot say "max then cls": such an order only sentence-transformers 6 reads.
  if (style === "current" || !inFlagOrder(modes)) return current;
  const flag = (mode: PoolingMode) => modes.includes(mode);
  if (style === "legacy") {
    // Key order as sentence-transformers 5 writes it.
    return {
      word_embedding_dimension: spec.dimension,
      pooling_mode_cls_token: flag("cls"),
      pooling_mode_mean_tokens: flag("mean"),
      pooling_mode_max_tokens: flag("max"),
      pooling_mode_mean_sqrt_len_tokens: flag("mean_sqrt_len_tokens"),
      pooling_mode_weightedmean_tokens: flag("weightedmean"),
      pooling_mode_lasttoken: flag("lasttoken"),
      include_prompt: includePrompt,
    };
  }
  const json: JsonObject = {
    word_embedding_dimension: spec.dimension,
    pooling_mode_cls_token: flag("cls"),
    pooling_mode_mean_tokens: flag("mean"),
    pooling_mode_max_tokens: flag("max"),
    pooling_mode_mean_sqrt_len_tokens: flag("mean_sqrt_len_tokens"),
  };
  if (flag("weightedmean")) json.pooling_mode_weightedmean_tokens = true;
  if (flag("lasttoken")) json.pooling_mode_lasttoken = true;
  if (!includePrompt) json.include_prompt = false;
  return json;
}
