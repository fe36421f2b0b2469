import { positionOffset, type TransformerConfig } from "../model/config.js";
import { BabelbedError } from "../util/errors.js";
import type { TensorData } from "./safetensors.js";

/**
 * Heads a checkpoint may carry that a sentence encoder does not use, known by name: BERT's
 * pooler and pre-training heads (`cls.`), XLM-R's MLM head (`lm_head.`) and the position-id
 * buffer some exports save. Any other unused tensor means config.json describes another model.
 */
const optionalPrefixes = ["pooler.", "cls.", "lm_head.", "embeddings.position_ids"];

/** Refuse weights holding NaN or ±Infinity: every vector computed from them would be garbage. */
export function checkFinite(name: string, data: ArrayLike<number>, file: string): void {
  for (let index = 0; index < data.length; index++) {
    const value = data[index]!;
    if (!Number.isFinite(value))
      throw new BabelbedError(
        `${file}: tensor "${name}" holds ${value} (element ${index}); the model is damaged and cannot be used`,
      );
  }
}

export function checkStoredFinite(stored: Map<string, TensorData>, file: string): void {
  for (const [name, tensor] of stored) {
    if (tensor.data instanceof Float32Array || tensor.data instanceof Float64Array)
      checkFinite(name, tensor.data, file);
  }
}

/** Every stored tensor is used by the model built from config.json, or is a known optional head. */
export function checkAllUsed(
  stored: Iterable<string>,
  used: Set<string>,
  weightsFile: string,
  configFile: string,
): void {
  const unused = [...stored].filter(
    (name) => !used.has(name) && !optionalPrefixes.some((prefix) => name.startsWith(prefix)),
  );
  if (unused.length === 0) return;
  const layers = new Set(unused.flatMap((name) => /^encoder\.layer\.(\d+)\./.exec(name)?.[1] ?? []));
  const hint =
    layers.size > 0
      ? `: the checkpoint has layers (${[...layers].join(", ")}) that ${configFile} does not (num_hidden_layers)`
      : `, which ${configFile} does not describe`;
  throw new BabelbedError(
    `${weightsFile}: ${unused.length} tensor${unused.length === 1 ? "" : "s"} unused (${unused.slice(0, 3).join(", ")}${unused.length > 3 ? ", …" : ""})${hint}`,
  );
}

/** The longest input the position table can number (XLM-R's numbering starts past its padding id). */
export function positionLimit(config: TransformerConfig): number {
  return config.maxPositionEmbeddings - positionOffset(config);
}
