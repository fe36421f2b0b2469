import { BabelbedError } from "../util/errors.js";

/**
 * Hugging Face parameter names. Task checkpoints nest the encoder under the model's
 * base_model_prefix (`bert.` for BertForPreTraining, `roberta.` for XLM-R's MaskedLM,
 * sometimes more, e.g. `0.auto_model.`); babelbed uses the bare BertModel names.
 */

/** The parameters of HF `BertModel` (and `XLMRobertaModel`, which names them the same way). */
export function bertModelParameterNames(numHiddenLayers: number): string[] {
  const names = [
    "embeddings.word_embeddings.weight",
    "embeddings.position_embeddings.weight",
    "embeddings.token_type_embeddings.weight",
    "embeddings.LayerNorm.weight",
    "embeddings.LayerNorm.bias",
  ];
  const perLayer = [
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "attention.output.LayerNorm",
    "intermediate.dense",
    "output.dense",
    "output.LayerNorm",
  ];
  for (let layer = 0; layer < numHiddenLayers; layer++) {
    for (const part of perLayer)
      names.push(`encoder.layer.${layer}.${part}.weight`, `encoder.layer.${layer}.${part}.bias`);
  }
  names.push("pooler.dense.weight", "pooler.dense.bias");
  return names;
}

const anchor = "embeddings.word_embeddings.weight";
// DistilBERT keeps its blocks under "transformer.".
const baseModelParts = ["embeddings.", "encoder.", "pooler.", "transformer."];

/** The prefix in front of the encoder's names: "" for a bare BertModel checkpoint. */
export function detectModelPrefix(names: Iterable<string>, source = "checkpoint"): string {
  const prefixes = new Set<string>();
  for (const name of names) if (name.endsWith(anchor)) prefixes.add(name.slice(0, -anchor.length));
  if (prefixes.size > 1) {
    const listed = [...prefixes].map((prefix) => JSON.stringify(prefix)).join(", ");
    throw new BabelbedError(
      `${source}: word embeddings appear under several prefixes (${listed}); cannot tell which is the encoder`,
    );
  }
  const [prefix = ""] = prefixes;
  if (prefix !== "" && !prefix.endsWith(".")) {
    throw new BabelbedError(
      `${source}: word embeddings are named "${prefix}${anchor}"; expected a dotted prefix such as "bert."`,
    );
  }
  return prefix;
}

/** TF-converted BERT checkpoints call LayerNorm parameters gamma/beta; transformers renames them on load. */
function modernLayerNormName(name: string): string {
  if (name.endsWith(".gamma")) return `${name.slice(0, -"gamma".length)}weight`;
  if (name.endsWith(".beta")) return `${name.slice(0, -"beta".length)}bias`;
  return name;
}

/**
 * Maps every checkpoint name to the name babelbed uses: encoder parameters lose the model
 * prefix (`roberta.encoder.layer.0.attention.self.query.weight` becomes
 * `encoder.layer.0.attention.self.query.weight`), head parameters such as
 * `cls.predictions.bias` or `lm_head.dense.weight` keep their names.
 */
export function stripModelPrefix(names: Iterable<string>, source = "checkpoint"): Map<string, string> {
  const list = [...names];
  const prefix = detectModelPrefix(list, source);
  const mapping = new Map<string, string>();
  const claimedBy = new Map<string, string>();
  for (const name of list) {
    const rest = name.startsWith(prefix) ? name.slice(prefix.length) : undefined;
    const bare = modernLayerNormName(
      rest !== undefined && baseModelParts.some((part) => rest.startsWith(part)) ? rest : name,
    );
    const previous = claimedBy.get(bare);
    if (previous !== undefined) throw new BabelbedError(`${source}: "${previous}" and "${name}" both map to "${bare}"`);
    claimedBy.set(bare, name);
    mapping.set(name, bare);
  }
  return mapping;
}

/** The same tensors keyed by the names `stripModelPrefix` gives. */
export function withBareNames<T>(tensors: Map<string, T>, source = "checkpoint"): Map<string, T> {
  const renamed = new Map<string, T>();
  for (const [name, bare] of stripModelPrefix(tensors.keys(), source)) renamed.set(bare, tensors.get(name)!);
  return renamed;
}
