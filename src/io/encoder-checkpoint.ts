import * as tf from "@tensorflow/tfjs";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { configFromJson, configToJson } from "../model/config.js";
import { Dense } from "../model/dense.js";
import type { Flow } from "../model/flow.js";
import { poolingList } from "../model/pooling.js";
import { SentenceEncoder } from "../model/sentence-encoder.js";
import { parameterShapes, Transformer } from "../model/transformer.js";
import { loadTokenizer, type Segmenter, type Tokenizer } from "../text/index.js";
import { BabelbedError } from "../util/errors.js";
import { swapDirectory, temporarySibling } from "../util/files.js";
import { flowExportRefusal, loadEncoderFlow } from "./flow-module.js";
import { inspectModelDirectory, readModelWeights } from "./model-directory.js";
import { withBareNames } from "./names.js";
import { checkAllUsed, checkFinite, checkStoredFinite, positionLimit } from "./weight-checks.js";
import { writeSafetensors, type WritableTensor } from "./safetensors.js";
import {
  readSentenceTransformerLayout,
  writeSentenceTransformerLayout,
  type LayoutWriteOptions,
  type ModuleSpec,
} from "./sentence-transformers/index.js";

export { swapDirectory };

export interface LoadEncoderOptions {
  /** Overrides the segmenter the tokenizer files record (e.g. kuromoji for Japanese). */
  segmenter?: Segmenter;
}

/**
 * Load a sentence encoder from a local directory: a sentence-transformers model
 * (modules.json and its module folders) or a plain Hugging Face checkpoint, which
 * gets Transformer → mean Pooling, as sentence-transformers gives it.
 */
export async function loadSentenceEncoder(dir: string, options: LoadEncoderOptions = {}): Promise<SentenceEncoder> {
  const modules = await readSentenceTransformerLayout(dir);
  const transformerSpec = modules.find((module) => module.kind === "transformer");
  const poolingSpec = modules.find((module) => module.kind === "pooling");
  if (transformerSpec === undefined || poolingSpec === undefined) {
    throw new BabelbedError(`${dir}: the pipeline needs a Transformer and a Pooling module`);
  }
  const transformerDir = path.join(dir, transformerSpec.path);
  const found = await inspectModelDirectory(transformerDir);
  const config = configFromJson(found.config, found.configFile);
  const stored = withBareNames(await readModelWeights(found), found.weightFiles[0]);
  checkStoredFinite(stored, found.weightFiles.join(", "));
  const weights = new Map<string, tf.Tensor>();
  const wanted = new Set(parameterShapes(config).map(([name]) => name));
  for (const [name, tensor] of stored) {
    if (wanted.has(name)) weights.set(name, tf.tensor(tensor.data as Float32Array, tensor.shape, "float32"));
  }
  let transformer: Transformer;
  try {
    transformer = new Transformer(config, weights);
  } catch (error) {
    throw new BabelbedError(`${found.weightFiles.join(", ")}: ${(error as Error).message}`);
  } finally {
    tf.dispose([...weights.values()]);
  }
  try {
    checkAllUsed(
      stored.keys(),
      new Set([...transformer.parameters.keys(), transformer.wordEmbeddings.name]),
      found.weightFiles.join(", "),
      found.configFile,
    );
  } catch (error) {
    transformer.dispose();
    throw error;
  }
  const tokenizer = await loadTokenizer(transformerDir, { segmenter: options.segmenter });
  if (tokenizer.vocabSize > config.vocabSize) {
    transformer.dispose();
    const tokenizerFile = found.tokenizerFile ?? found.vocabFile ?? transformerDir;
    throw new BabelbedError(
      `${tokenizerFile}: the vocabulary has ${tokenizer.vocabSize} tokens but the embedding table of ${found.configFile} has ${config.vocabSize} rows (vocab_size)`,
    );
  }
  const dense = modules.flatMap((module) => {
    if (module.kind !== "dense") return [];
    checkFinite("linear.weight", module.weight, path.join(dir, module.path));
    if (module.biasValues) checkFinite("linear.bias", module.biasValues, path.join(dir, module.path));
    const weight = tf.tensor2d(module.weight, [module.outFeatures, module.inFeatures]);
    const bias = module.biasValues ? tf.tensor1d(module.biasValues) : undefined;
    const layer = new Dense(weight, bias, module.activation);
    tf.dispose([weight, ...(bias ? [bias] : [])]);
    return [layer];
  });
  let flow: Flow | undefined;
  try {
    flow = await loadEncoderFlow(
      dir,
      dense.at(-1)?.outFeatures ?? transformer.config.hiddenSize * poolingList(poolingSpec.mode).length,
    );
  } catch (error) {
    transformer.dispose();
    for (const layer of dense) layer.dispose();
    throw error;
  }
  return new SentenceEncoder({
    flow,
    tokenizer,
    transformer,
    // sentence_bert_config.json may ask for more tokens than the position table numbers.
    maxSeqLength: Math.min(transformerSpec.maxSeqLength, positionLimit(config)),
    pooling: poolingSpec.mode,
    dense,
    normalize: modules.some((module) => module.kind === "normalize"),
    lowercase: transformerSpec.doLowerCase,
  });
}

/**
 * Save as a sentence-transformers directory that Python loads as it is: config.json,
 * model.safetensors with HF names, tokenizer files, modules.json and module folders.
 * The directory is written beside the target and swapped in whole, so an interrupted
 * export never leaves a half-written model where a good one was.
 */
export async function saveSentenceEncoder(
  encoder: SentenceEncoder,
  dir: string,
  options: LayoutWriteOptions = {},
): Promise<void> {
  if (encoder.flow !== undefined) throw new BabelbedError(`${dir}: ${flowExportRefusal}`);
  const target = path.resolve(dir);
  const staging = temporarySibling(target);
  await fs.rm(staging, { recursive: true, force: true });
  await fs.mkdir(staging, { recursive: true });
  try {
    const config = configToJson(encoder.transformer.config);
    if (!("architectures" in config)) config.architectures = [encoder.transformer.architecture.className];
    await fs.writeFile(path.join(staging, "config.json"), `${JSON.stringify(config, null, 2)}\n`);
    await writeSafetensors(
      path.join(staging, "model.safetensors"),
      await tensorData(encoder.transformer.namedTensors()),
      { format: "pt" },
    );
    await (encoder.tokenizer as Tokenizer).save(staging);
    await writeSentenceTransformerLayout(staging, await moduleSpecs(encoder), options);
    await swapDirectory(staging, target);
  } catch (error) {
    await fs.rm(staging, { recursive: true, force: true });
    throw error;
  }
}

async function moduleSpecs(encoder: SentenceEncoder): Promise<ModuleSpec[]> {
  const modules: ModuleSpec[] = [
    { kind: "transformer", path: "", maxSeqLength: encoder.maxSeqLength, doLowerCase: encoder.lowercase },
    {
      kind: "pooling",
      path: "1_Pooling",
      mode: encoder.pooling,
      dimension: encoder.transformer.config.hiddenSize,
      includePrompt: true,
    },
  ];
  for (const dense of encoder.dense) {
    modules.push({
      kind: "dense",
      path: `${modules.length}_Dense`,
      inFeatures: dense.inFeatures,
      outFeatures: dense.outFeatures,
      bias: dense.bias !== undefined,
      activation: dense.activation,
      weight: (await dense.weight.data()) as Float32Array,
      ...(dense.bias ? { biasValues: (await dense.bias.data()) as Float32Array } : {}),
    });
  }
  if (encoder.normalize) modules.push({ kind: "normalize", path: `${modules.length}_Normalize` });
  return modules;
}

/** Read tensors back to JS arrays and release them. */
async function tensorData(named: Map<string, tf.Tensor>): Promise<Map<string, WritableTensor>> {
  const result = new Map<string, WritableTensor>();
  for (const [name, tensor] of named) {
    result.set(name, { shape: tensor.shape, data: (await tensor.data()) as Float32Array });
    tensor.dispose();
  }
  return result;
}
