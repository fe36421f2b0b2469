import { promises as fs } from "node:fs";
import * as path from "node:path";
import { BabelbedError } from "../util/errors.js";
import { exists } from "../util/files.js";
import { isObject, readJsonObject, type JsonObject } from "./json-fields.js";
import { readSafetensors, type ReadOptions, type TensorData } from "./safetensors.js";

/** Where the pieces of a Hugging Face model directory are. All paths are absolute. */
export interface ModelDirectory {
  dir: string;
  configFile: string;
  /** config.json as read; `configFromJson` turns it into a TransformerConfig. */
  config: JsonObject;
  /** model.safetensors, or the shards listed by model.safetensors.index.json in name order. */
  weightFiles: string[];
  shardIndexFile?: string;
  /** For sharded checkpoints: which shard file holds each tensor. */
  weightMap?: Map<string, string>;
  vocabFile?: string;
  tokenizerFile?: string;
  tokenizerConfigFile?: string;
  specialTokensMapFile?: string;
  /** sentencepiece.bpe.model (XLM-R); babelbed tokenizes from tokenizer.json instead. */
  sentencePieceFile?: string;
  /** Present when the directory is also a sentence-transformers model. */
  modulesFile?: string;
}

export interface InspectOptions {
  /** Fail when neither vocab.txt nor tokenizer.json is present (default true). */
  requireTokenizer?: boolean;
}

/** Checkpoint formats babelbed cannot read, and the transformers argument that loads each. */
const foreignWeights: [file: string, format: string, loadArgument: string][] = [
  ["pytorch_model.bin", "PyTorch pickle", ""],
  ["pytorch_model.bin.index.json", "sharded PyTorch pickle", ""],
  ["tf_model.h5", "TensorFlow", ", from_tf=True"],
  ["flax_model.msgpack", "Flax", ", from_flax=True"],
];

function conversionHint(dir: string, loadArgument: string): string {
  return (
    `convert it once with Python: python -c "from transformers import AutoModel; ` +
    `AutoModel.from_pretrained('${dir}'${loadArgument}).save_pretrained('${dir}', safe_serialization=True)"`
  );
}

async function optionalFile(dir: string, name: string): Promise<string | undefined> {
  const file = path.join(dir, name);
  return (await exists(file)) ? file : undefined;
}

async function readShardIndex(
  dir: string,
  indexFile: string,
): Promise<{ weightFiles: string[]; weightMap: Map<string, string> }> {
  const index = await readJsonObject(indexFile);
  if (!isObject(index.weight_map))
    throw new BabelbedError(`${indexFile}: field "weight_map" must be an object of tensor name to shard file`);
  const weightMap = new Map<string, string>();
  for (const [name, shard] of Object.entries(index.weight_map)) {
    // Shards must sit beside the index: a path elsewhere is a broken or hostile index.
    if (typeof shard !== "string" || shard !== path.basename(shard) || !shard.endsWith(".safetensors")) {
      throw new BabelbedError(
        `${indexFile}: tensor "${name}" maps to ${JSON.stringify(shard)}, expected a .safetensors file name in the same directory`,
      );
    }
    weightMap.set(name, path.join(dir, shard));
  }
  const weightFiles = [...new Set(weightMap.values())].sort();
  for (const file of weightFiles) {
    if (!(await exists(file))) throw new BabelbedError(`${indexFile}: shard ${path.basename(file)} is missing`);
  }
  return { weightFiles, weightMap };
}

/**
 * Finds config.json, the safetensors weights (single or sharded) and the tokenizer files
 * of a Hugging Face model directory, with a conversion recipe for checkpoints in other formats.
 */
export async function inspectModelDirectory(dir: string, options: InspectOptions = {}): Promise<ModelDirectory> {
  const root = path.resolve(dir);
  const stat = await fs.stat(root).catch(() => undefined);
  if (!stat?.isDirectory()) throw new BabelbedError(`${dir}: not a directory`);
  const configFile = path.join(root, "config.json");
  if (!(await exists(configFile))) {
    throw new BabelbedError(
      `${root}: no config.json; expected a Hugging Face model directory (config.json, model.safetensors, vocab.txt or tokenizer.json)`,
    );
  }
  const config = await readJsonObject(configFile);

  let weightFiles: string[];
  let shardIndexFile: string | undefined;
  let weightMap: Map<string, string> | undefined;
  const single = await optionalFile(root, "model.safetensors");
  const index = await optionalFile(root, "model.safetensors.index.json");
  if (single !== undefined) {
    weightFiles = [single];
  } else if (index !== undefined) {
    ({ weightFiles, weightMap } = await readShardIndex(root, index));
    shardIndexFile = index;
  } else {
    for (const [file, format, loadArgument] of foreignWeights) {
      if (await exists(path.join(root, file))) {
        throw new BabelbedError(
          `${root}: weights are only in ${file} (${format}), which babelbed cannot read; ${conversionHint(root, loadArgument)}`,
        );
      }
    }
    throw new BabelbedError(`${root}: no model weights; expected model.safetensors or model.safetensors.index.json`);
  }

  const found: ModelDirectory = { dir: root, configFile, config, weightFiles };
  if (shardIndexFile !== undefined) Object.assign(found, { shardIndexFile, weightMap });
  const optional: [keyof ModelDirectory, string][] = [
    ["vocabFile", "vocab.txt"],
    ["tokenizerFile", "tokenizer.json"],
    ["tokenizerConfigFile", "tokenizer_config.json"],
    ["specialTokensMapFile", "special_tokens_map.json"],
    ["sentencePieceFile", "sentencepiece.bpe.model"],
    ["modulesFile", "modules.json"],
  ];
  for (const [key, name] of optional) {
    const file = await optionalFile(root, name);
    if (file !== undefined) Object.assign(found, { [key]: file });
  }
  if ((options.requireTokenizer ?? true) && found.vocabFile === undefined && found.tokenizerFile === undefined) {
    const hint = found.sentencePieceFile
      ? `; it has ${path.basename(found.sentencePieceFile)}, so write tokenizer.json with: ` +
        `python -c "from transformers import AutoTokenizer; AutoTokenizer.from_pretrained('${root}').save_pretrained('${root}')"`
      : "";
    throw new BabelbedError(`${root}: no tokenizer: expected vocab.txt or tokenizer.json${hint}`);
  }
  return found;
}

/**
 * Reads every tensor of the directory's weight files into one map. For sharded checkpoints
 * it also checks that each tensor sits in the shard the index names.
 */
export async function readModelWeights(
  model: ModelDirectory,
  options: ReadOptions = {},
): Promise<Map<string, TensorData>> {
  const tensors = new Map<string, TensorData>();
  const origin = new Map<string, string>();
  for (const file of model.weightFiles) {
    const contents = await readSafetensors(file, options);
    for (const [name, tensor] of contents.tensors) {
      const previous = origin.get(name);
      if (previous !== undefined) throw new BabelbedError(`${file}: tensor "${name}" is also in ${previous}`);
      origin.set(name, file);
      tensors.set(name, tensor);
    }
  }
  if (model.weightMap !== undefined) {
    for (const [name, shard] of model.weightMap) {
      if (options.select && !options.select(name)) continue;
      if (origin.get(name) !== shard) {
        throw new BabelbedError(
          `${model.shardIndexFile}: tensor "${name}" should be in ${path.basename(shard)} but is not`,
        );
      }
    }
  }
  return tensors;
}
