import { BabelbedError } from "../util/errors.js";

/**
 * The whole shape of a BERT-family encoder, as Hugging Face writes it to `config.json`.
 * Fields we do not use are kept in `extra` so that a config round-trips unchanged.
 */
export interface TransformerConfig {
  modelType: "bert" | "xlm-roberta";
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
  /** Keys of config.json that babelbed does not interpret, preserved for export. */
  extra: Record<string, unknown>;
}

const known: Record<string, keyof TransformerConfig> = {
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
  return config.modelType === "xlm-roberta" ? config.padTokenId + 1 : 0;
}

export function configFromJson(json: Record<string, unknown>, source = "config.json"): TransformerConfig {
  const modelType = json.model_type;
  if (modelType !== "bert" && modelType !== "xlm-roberta") {
    throw new BabelbedError(
      `${source}: field "model_type" is ${JSON.stringify(modelType)}; babelbed reads "bert" and "xlm-roberta"`,
    );
  }
  const act = json.hidden_act ?? "gelu";
  if (act !== "gelu") {
    throw new BabelbedError(`${source}: field "hidden_act" is ${JSON.stringify(act)}; only exact (erf) "gelu" is supported`);
  }
  const positionType = json.position_embedding_type ?? "absolute";
  if (positionType !== "absolute") {
    throw new BabelbedError(`${source}: field "position_embedding_type" is ${JSON.stringify(positionType)}; only "absolute" is supported`);
  }
  const base = defaultConfig({ modelType, typeVocabSize: modelType === "xlm-roberta" ? 1 : 2 });
  const config: TransformerConfig = { ...base, extra: {} };
  const target = config as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(json)) {
    const field = known[key];
    if (field === undefined) {
      config.extra[key] = value;
      continue;
    }
    if (field !== "modelType" && field !== "hiddenAct") {
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
  for (const [key, field] of Object.entries(known)) json[key] = source[field];
  for (const [key, value] of Object.entries(config.extra)) if (!(key in json)) json[key] = value;
  return json;
}
