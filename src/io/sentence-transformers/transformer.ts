import * as path from "node:path";
import { BabelbedError } from "../../util/errors.js";
import { writeJsonAtomic } from "../../util/files.js";
import { booleanField, optionalPositiveInteger, readOptionalJsonObject } from "../json-fields.js";
import type { TransformerSpec } from "./modules.js";

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
  const positions =
    config === undefined ? undefined : optionalPositiveInteger(config, "max_position_embeddings", configFile);
  if (positions !== undefined) {
    // MPNet counts from padding index 1 whatever pad_token_id says (HF fixes it).
    const mpnet = config?.model_type === "mpnet";
    const padding = !mpnet && typeof config?.pad_token_id === "number" ? config.pad_token_id : 1;
    limits.push(mpnet || paddingOffsetModels.has(String(config?.model_type)) ? positions - padding - 1 : positions);
  }
  const tokenizerLimit = tokenizer?.model_max_length;
  if (typeof tokenizerLimit === "number" && tokenizerLimit > 0 && tokenizerLimit < unlimitedLength)
    limits.push(Math.floor(tokenizerLimit));
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
    return {
      kind: "transformer",
      path: modulePath,
      maxSeqLength,
      doLowerCase: booleanField(json, "do_lower_case", file, false),
    };
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
