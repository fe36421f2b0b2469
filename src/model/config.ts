import { BabelbedError } from "../util/errors.js";

/** The Hugging Face `model_type`s babelbed reads, trains and writes. */
export const modelTypes = ["bert", "xlm-roberta", "roberta", "mpnet", "distilbert"] as const;
export type ModelType = (typeof modelTypes)[number];

/**
 * The whole shape of a BERT-family encoder, as Hugging Face writes it to `config.json`.
 * Fields we do not use are kept in `extra` so that a config round-trips unchanged.
 */
export interface TransformerConfig {
  modelType: ModelType;
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  hiddenAct: "gelu";
  hiddenDropoutProb: number;
  attentionProbsDropoutProb: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  initializerRange: number;
  layerNormEps: number;
  padTokenId: number;
  /** MPNet: rows of the relative position bias table (`relative_attention_num_buckets`). */
  relativeAttentionNumBuckets?: number;
  /** DistilBERT: fixed sine/cosine position table (`sinusoidal_pos_embds`), never trained. */
  sinusoidalPositions?: boolean;
  /** Keys of config.json that babelbed does not interpret, preserved for export. */
  extra: Record<string, unknown>;
}

type KeyTable = Record<string, keyof TransformerConfig>;

const bertKeys: KeyTable = {
  model_type: "modelType",
  vocab_size: "vocabSize",
  hidden_size: "hiddenSize",
  num_hidden_layers: "numHiddenLayers",
  num_attention_heads: "numAttentionHeads",
  intermediate_size: "intermediateSize",
  hidden_act: "hiddenAct",
  hidden_dropout_prob: "hiddenDropoutProb",
  attention_probs_dropout_prob: "attentionProbsDropoutProb",
  max_position_embeddings: "maxPositionEmbeddings",
  type_vocab_size: "typeVocabSize",
  initializer_range: "initializerRange",
  layer_norm_eps: "layerNormEps",
  pad_token_id: "padTokenId",
};

/** MPNet has no token types and adds the relative position buckets. */
const mpnetKeys: KeyTable = Object.fromEntries([
  ...Object.entries(bertKeys).filter(([key]) => key !== "type_vocab_size"),
  ["relative_attention_num_buckets", "relativeAttentionNumBuckets"],
]);

/** DistilBERT's own spellings; its LayerNorm epsilon is fixed at 1e-12 and not in the config. */
const distilbertKeys: KeyTable = {
  model_type: "modelType",
  vocab_size: "vocabSize",
  dim: "hiddenSize",
  n_layers: "numHiddenLayers",
  n_heads: "numAttentionHeads",
  hidden_dim: "intermediateSize",
  activation: "hiddenAct",
  dropout: "hiddenDropoutProb",
  attention_dropout: "attentionProbsDropoutProb",
  max_position_embeddings: "maxPositionEmbeddings",
  initializer_range: "initializerRange",
  pad_token_id: "padTokenId",
  sinusoidal_pos_embds: "sinusoidalPositions",
};

function keysFor(modelType: ModelType): KeyTable {
  if (modelType === "distilbert") return distilbertKeys;
  return modelType === "mpnet" ? mpnetKeys : bertKeys;
}

/** Fields that are not numbers. */
const nonNumeric = new Set<keyof TransformerConfig>(["modelType", "hiddenAct", "sinusoidalPositions"]);

/** BERT-base defaults, as `transformers.BertConfig()` has them. */
export function defaultConfig(overrides: Partial<TransformerConfig> = {}): TransformerConfig {
  return {
    modelType: "bert",
    vocabSize: 30522,
    hiddenSize: 768,
    numHiddenLayers: 12,
    numAttentionHeads: 12,
    intermediateSize: 3072,
    hiddenAct: "gelu",
    hiddenDropoutProb: 0.1,
    attentionProbsDropoutProb: 0.1,
    maxPositionEmbeddings: 512,
    typeVocabSize: 2,
    initializerRange: 0.02,
    layerNormEps: 1e-12,
    padTokenId: 0,
    extra: {},
    ...overrides,
  };
}

/**
 * XLM-RoBERTa numbers positions from `padding_idx + 1`, so the first real token
 * reads position row `padTokenId + 1`; BERT starts at 0.
 */
export function positionOffset(config: TransformerConfig): number {
  const padding = positionPadding(config);
  return padding === undefined ? 0 : padding + 1;
}

/**
 * The padding index RoBERTa-style models count positions from: the config's pad id for
 * (XLM-)RoBERTa, 1 for MPNet (HF's `MPNetEmbeddings` fixes it), none for BERT and DistilBERT.
 */
export function positionPadding(config: TransformerConfig): number | undefined {
  if (config.modelType === "xlm-roberta" || config.modelType === "roberta") return config.padTokenId;
  return config.modelType === "mpnet" ? 1 : undefined;
}

/**
 * Position ids `[batch * seq]` as HF computes them from the input ids: BERT counts 0, 1, ...;
 * RoBERTa-style models give ids equal to the padding index that index, and the others
 * `padding + 1 + (non-padding tokens so far)`.
 */
export function positionIds(
  config: TransformerConfig,
  inputIds: Int32Array,
  batchSize: number,
  length: number,
): Int32Array {
  const padding = positionPadding(config);
  const positions = new Int32Array(batchSize * length);
  for (let row = 0; row < batchSize; row++) {
    let count = 0;
    for (let column = 0; column < length; column++) {
      const index = row * length + column;
      if (padding === undefined) positions[index] = column;
      else if (inputIds[index] === padding) positions[index] = padding;
      else positions[index] = padding + ++count;
    }
  }
  return positions;
}

export function configFromJson(json: Record<string, unknown>, source = "config.json"): TransformerConfig {
  const modelType = json.model_type as ModelType;
  if (!modelTypes.includes(modelType)) {
    throw new BabelbedError(
      `${source}: field "model_type" is ${JSON.stringify(modelType)}; babelbed reads ${modelTypes.map((type) => `"${type}"`).join(", ")}`,
    );
  }
  const activationKey = modelType === "distilbert" ? "activation" : "hidden_act";
  const act = json[activationKey] ?? "gelu";
  if (act !== "gelu") {
    throw new BabelbedError(
      `${source}: field "${activationKey}" is ${JSON.stringify(act)}; only exact (erf) "gelu" is supported`,
    );
  }
  const positionType = json.position_embedding_type ?? "absolute";
  if (positionType !== "absolute") {
    throw new BabelbedError(
      `${source}: field "position_embedding_type" is ${JSON.stringify(positionType)}; only "absolute" is supported`,
    );
  }
  const typeVocabSize = { bert: 2, "xlm-roberta": 1, roberta: 1, mpnet: 0, distilbert: 0 }[modelType];
  const base = defaultConfig({ modelType, typeVocabSize });
  if (modelType === "mpnet") Object.assign(base, { relativeAttentionNumBuckets: 32, padTokenId: 1 });
  if (modelType === "distilbert")
    Object.assign(base, { sinusoidalPositions: false, hiddenSize: 768, intermediateSize: 3072, numHiddenLayers: 6 });
  const config: TransformerConfig = { ...base, extra: {} };
  const target = config as unknown as Record<string, unknown>;
  const known = keysFor(modelType);
  for (const [key, value] of Object.entries(json)) {
    const field = Object.hasOwn(known, key) ? known[key] : undefined;
    if (field === undefined) {
      config.extra[key] = value;
      continue;
    }
    if (field === "sinusoidalPositions" && typeof value !== "boolean") {
      throw new BabelbedError(`${source}: field "${key}" must be true or false, got ${JSON.stringify(value)}`);
    }
    if (!nonNumeric.has(field)) {
      if (typeof value !== "number" || !Number.isFinite(value)) {
        throw new BabelbedError(`${source}: field "${key}" must be a number, got ${JSON.stringify(value)}`);
      }
    }
    target[field] = value;
  }
  if (config.hiddenSize % config.numAttentionHeads !== 0) {
    throw new BabelbedError(
      `${source}: "hidden_size" ${config.hiddenSize} is not a multiple of "num_attention_heads" ${config.numAttentionHeads}`,
    );
  }
  return config;
}

/** The inverse of `configFromJson`: known fields in HF spelling, then the preserved extras. */
export function configToJson(config: TransformerConfig): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  const source = config as unknown as Record<string, unknown>;
  for (const [key, field] of Object.entries(keysFor(config.modelType)))
    if (source[field] !== undefined) json[key] = source[field];
  for (const [key, value] of Object.entries(config.extra)) if (!(key in json)) json[key] = value;
  return json;
}
