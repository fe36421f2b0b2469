import * as path from "node:path";
import { BabelbedError } from "../util/errors.js";
import { exists, writeJsonAtomic } from "../util/files.js";
import {
  booleanField,
  optionalPositiveInteger,
  positiveInteger,
  readJsonObject,
  readOptionalJsonObject,
  stringField,
  type JsonObject,
} from "./json-fields.js";
import { readSafetensors, writeSafetensors } from "./safetensors.js";
import { isPoolingMode, poolingList, poolingModes, type Pooling, type PoolingMode } from "../model/pooling.js";
import type { DenseActivation } from "../model/dense.js";

/** The sentence-transformers modules babelbed understands, as plain data. */

export type { Pooling, PoolingMode };

export type ModuleSpec =
  | { kind: "transformer"; path: string; maxSeqLength: number; doLowerCase: boolean }
  | {
      kind: "pooling";
      path: string;
      /** One mode, or several concatenated in this order. */
      mode: Pooling;
      dimension: number;
      /** Whether prompt tokens are pooled (default true); only matters when prompts are prepended. */
      includePrompt?: boolean;
    }
  | {
      kind: "dense";
      path: string;
      inFeatures: number;
      outFeatures: number;
      bias: boolean;
      activation: DenseActivation;
      /** Row-major [outFeatures, inFeatures], as torch.nn.Linear stores it. */
      weight: Float32Array;
      biasValues?: Float32Array;
    }
  | { kind: "normalize"; path: string };

export type TransformerSpec = Extract<ModuleSpec, { kind: "transformer" }>;
export type PoolingSpec = Extract<ModuleSpec, { kind: "pooling" }>;
export type DenseSpec = Extract<ModuleSpec, { kind: "dense" }>;

/** Which file sentence-transformers reads the Transformer settings from, in its search order. */
const transformerConfigNames = [
  "sentence_bert_config.json",
  "sentence_roberta_config.json",
  "sentence_distilbert_config.json",
  "sentence_camembert_config.json",
  "sentence_albert_config.json",
  "sentence_xlm-roberta_config.json",
  "sentence_xlnet_config.json",
];

/** Model types whose positions start at padding_idx + 1, leaving fewer usable positions. */
const paddingOffsetModels = new Set(["xlm-roberta", "roberta", "camembert"]);

/** HF tokenizers without a length limit report int(1e30) as model_max_length. */
const unlimitedLength = 1e12;

/**
 * The sequence length sentence-transformers uses when no max_seq_length is saved: the
 * tokenizer's model_max_length, capped by the positions the model has.
 */
export async function inferMaxSeqLength(folder: string): Promise<number> {
  const configFile = path.join(folder, "config.json");
  const tokenizerFile = path.join(folder, "tokenizer_config.json");
  const config = await readOptionalJsonObject(configFile);
  const tokenizer = await readOptionalJsonObject(tokenizerFile);
  const limits: number[] = [];
  const positions = config === undefined ? undefined : optionalPositiveInteger(config, "max_position_embeddings", configFile);
  if (positions !== undefined) {
    // MPNet counts from padding index 1 whatever pad_token_id says (HF fixes it).
    const mpnet = config?.model_type === "mpnet";
    const padding = !mpnet && typeof config?.pad_token_id === "number" ? config.pad_token_id : 1;
    limits.push(mpnet || paddingOffsetModels.has(String(config?.model_type)) ? positions - padding - 1 : positions);
  }
  const tokenizerLimit = tokenizer?.model_max_length;
  if (typeof tokenizerLimit === "number" && tokenizerLimit > 0 && tokenizerLimit < unlimitedLength) limits.push(Math.floor(tokenizerLimit));
  if (limits.length === 0) {
    throw new BabelbedError(
      `${folder}: cannot tell the maximum sequence length: no "max_seq_length" in sentence_bert_config.json, ` +
        `no "model_max_length" in tokenizer_config.json and no "max_position_embeddings" in config.json`,
    );
  }
  return Math.min(...limits);
}

export async function readTransformerModule(dir: string, modulePath: string): Promise<TransformerSpec> {
  const folder = path.join(dir, modulePath);
  for (const name of transformerConfigNames) {
    const file = path.join(folder, name);
    const json = await readOptionalJsonObject(file);
    if (json === undefined) continue;
    const maxSeqLength = optionalPositiveInteger(json, "max_seq_length", file) ?? (await inferMaxSeqLength(folder));
    return { kind: "transformer", path: modulePath, maxSeqLength, doLowerCase: booleanField(json, "do_lower_case", file, false) };
  }
  return { kind: "transformer", path: modulePath, maxSeqLength: await inferMaxSeqLength(folder), doLowerCase: false };
}

export async function writeTransformerModule(dir: string, spec: TransformerSpec): Promise<void> {
  // Only the two keys every sentence-transformers release accepts as Transformer arguments;
  // newer releases infer the rest (transformer_task, modality_config) for a BERT encoder.
  await writeJsonAtomic(path.join(dir, spec.path, "sentence_bert_config.json"), {
    max_seq_length: spec.maxSeqLength,
    do_lower_case: spec.doLowerCase,
  });
}

/** Legacy per-mode flags in the order sentence-transformers concatenates their outputs. */
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
    throw new BabelbedError(`${file}: field "pooling_mode" must be a mode name or a list of them, got ${JSON.stringify(mode)}`);
  }
  const active = legacyPoolingFlags.filter(([key]) => booleanField(json, key, file, false)).map(([, name]) => name);
  // With no flag set, sentence-transformers falls back to mean pooling.
  return active.length > 0 ? active : ["mean"];
}

/** Modes sentence-transformers also accepts under other spellings. */
const modeAliases: Record<string, PoolingMode> = { mean_tokens: "mean", max_tokens: "max", cls_token: "cls", weightedmean_tokens: "weightedmean", mean_sqrt_len: "mean_sqrt_len_tokens" };

export function parsePoolingConfig(json: JsonObject, file: string, modulePath: string): PoolingSpec {
  const key = json.embedding_dimension !== undefined ? "embedding_dimension" : "word_embedding_dimension";
  const dimension = positiveInteger(json, key, file);
  const modes = configuredModes(json, file).map((name) => {
    const lower = name.toLowerCase();
    const mode = Object.hasOwn(modeAliases, lower) ? modeAliases[lower] : lower;
    if (!isPoolingMode(mode)) {
      throw new BabelbedError(`${file}: pooling mode "${name}" is not one sentence-transformers has; babelbed supports ${poolingModes.join(", ")}`);
    }
    return mode;
  });
  // Pooling that leaves out prompt tokens differs from babelbed's (which never prepends prompts) as soon as Python adds one.
  if (!booleanField(json, "include_prompt", file, true)) {
    throw new BabelbedError(`${file}: field "include_prompt" is false (pool without the prompt's tokens), which babelbed cannot represent; set it to true or remove it`);
  }
  return { kind: "pooling", path: modulePath, mode: modes.length === 1 ? modes[0]! : modes, dimension, includePrompt: true };
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
  const current = { embedding_dimension: spec.dimension, pooling_mode: modes.length === 1 ? modes[0]! : modes, include_prompt: includePrompt };
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

const activationNames: Record<string, DenseActivation> = {
  "torch.nn.modules.linear.Identity": "identity",
  "torch.nn.Identity": "identity",
  "torch.nn.modules.activation.Tanh": "tanh",
  "torch.nn.Tanh": "tanh",
};
const activationTypes: Record<DenseActivation, string> = {
  identity: "torch.nn.modules.linear.Identity",
  tanh: "torch.nn.modules.activation.Tanh",
};

export async function readDenseModule(dir: string, modulePath: string): Promise<DenseSpec> {
  const folder = path.join(dir, modulePath);
  const configFile = path.join(folder, "config.json");
  const json = await readJsonObject(configFile);
  const inFeatures = positiveInteger(json, "in_features", configFile);
  const outFeatures = positiveInteger(json, "out_features", configFile);
  const bias = booleanField(json, "bias", configFile, true);
  // sentence-transformers' Dense defaults to Tanh when no activation is saved.
  const activationType = stringField(json, "activation_function", configFile) ?? activationTypes.tanh;
  const activation = Object.hasOwn(activationNames, activationType) ? activationNames[activationType] : undefined;
  if (activation === undefined) {
    throw new BabelbedError(`${configFile}: field "activation_function" is "${activationType}"; babelbed supports Identity and Tanh`);
  }
  const weightsFile = path.join(folder, "model.safetensors");
  if (!(await exists(weightsFile))) {
    const legacy = await exists(path.join(folder, "pytorch_model.bin"));
    throw new BabelbedError(
      legacy
        ? `${folder}: Dense weights are only in pytorch_model.bin, which babelbed cannot read; re-save the model with safetensors: ` +
            `python -c "from sentence_transformers import SentenceTransformer; SentenceTransformer('${dir}').save('${dir}')"`
        : `${weightsFile}: missing (Dense weights)`,
    );
  }
  const { tensors } = await readSafetensors(weightsFile, { select: (name) => name.startsWith("linear.") });
  const tensor = (name: string, shape: number[]): Float32Array => {
    const found = tensors.get(name);
    if (found === undefined) throw new BabelbedError(`${weightsFile}: tensor "${name}" is missing`);
    if (!(found.data instanceof Float32Array) || found.shape.join(",") !== shape.join(",")) {
      throw new BabelbedError(`${weightsFile}: tensor "${name}" is ${found.dtype} ${JSON.stringify(found.shape)}, expected float ${JSON.stringify(shape)}`);
    }
    return found.data;
  };
  const weight = tensor("linear.weight", [outFeatures, inFeatures]);
  const biasValues = bias ? tensor("linear.bias", [outFeatures]) : undefined;
  return { kind: "dense", path: modulePath, inFeatures, outFeatures, bias, activation, weight, ...(biasValues ? { biasValues } : {}) };
}

export async function writeDenseModule(dir: string, spec: DenseSpec): Promise<void> {
  const folder = path.join(dir, spec.path);
  const where = `Dense module "${spec.path}"`;
  if (spec.weight.length !== spec.outFeatures * spec.inFeatures) {
    throw new BabelbedError(`${where}: weight has ${spec.weight.length} values, expected ${spec.outFeatures} x ${spec.inFeatures}`);
  }
  const tensors = new Map([["linear.weight", { shape: [spec.outFeatures, spec.inFeatures], data: spec.weight }]]);
  if (spec.bias) {
    if (spec.biasValues?.length !== spec.outFeatures) {
      throw new BabelbedError(`${where}: bias is on but biasValues has ${spec.biasValues?.length ?? 0} values, expected ${spec.outFeatures}`);
    }
    tensors.set("linear.bias", { shape: [spec.outFeatures], data: spec.biasValues });
  }
  // Same metadata as torch's save_model, so the file matches one written from Python.
  await writeSafetensors(path.join(folder, "model.safetensors"), tensors, { format: "pt" });
  await writeJsonAtomic(path.join(folder, "config.json"), {
    in_features: spec.inFeatures,
    out_features: spec.outFeatures,
    bias: spec.bias,
    activation_function: activationTypes[spec.activation],
  });
}
