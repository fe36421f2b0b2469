import * as tf from "@tensorflow/tfjs";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { configToJson } from "../../model/config.js";
import type { SentenceEncoder } from "../../model/sentence-encoder.js";
import { WordPieceCore } from "../../text/wordpiece-core.js";
import type { Tokenizer } from "../../text/types.js";
import { BabelbedError } from "../../util/errors.js";
import { packageVersion } from "../../util/package.js";
import { temporarySibling } from "../../util/files.js";
import { swapDirectory } from "../encoder-checkpoint.js";
import { flowExportRefusal } from "../flow-module.js";
import { bundleBrowserRuntime } from "./bundle.js";
import {
  defaultShardBytes,
  pageFile,
  runtimeFile,
  tfjsLayoutVersion,
  tfjsModelFormat,
  weightBytes,
  type DenseEntry,
  type TfjsModelJson,
  type WeightEntry,
} from "./manifest.js";
import { examplePage } from "./page.js";

export interface TfjsExportOptions {
  /** Bytes per weight shard; tfjs-converter's 4 MB unless a test wants many shards. */
  shardBytes?: number;
  /** The model's name on the page and in model.json: its recipe and step where known; the output folder's name by default. */
  name?: string;
  /** ISO codes of the languages the model learned, shown in the page's title and written to model.json. */
  languages?: string[];
  /** Sentences the page embeds on load: from the run's data; built-in ones in `languages` by default. */
  samples?: string[];
}

export interface TfjsExportSummary {
  directory: string;
  shards: string[];
  weightBytes: number;
  runtimeBytes: number;
}

/**
 * Write a TensorFlow.js layout a browser loads: model.json (tfjs' weights manifest plus a
 * `babelbed` section), float32 little-endian shards `group1-shardKofN.bin`, the tokenizer files,
 * the bundled runtime and an example index.html. Written to a staging folder and swapped in whole.
 */
export async function saveTfjsEncoder(
  encoder: SentenceEncoder,
  dir: string,
  options: TfjsExportOptions = {},
): Promise<TfjsExportSummary> {
  if (encoder.flow !== undefined) throw new BabelbedError(`${dir}: ${flowExportRefusal}`);
  const tokenizer = browserTokenizer(encoder);
  const shardBytes = options.shardBytes ?? defaultShardBytes;
  if (!Number.isInteger(shardBytes) || shardBytes <= 0 || shardBytes % 4 !== 0) {
    throw new BabelbedError(`shard size must be a positive multiple of 4 bytes, got ${shardBytes}`);
  }
  // Bundling first: a runtime that cannot be built must not cost a half-done export.
  const runtime = await bundleBrowserRuntime();
  const target = path.resolve(dir);
  const name = options.name ?? path.basename(target);
  const languages = options.languages ?? [];
  const staging = temporarySibling(target);
  await fs.rm(staging, { recursive: true, force: true });
  await fs.mkdir(staging, { recursive: true });
  try {
    const { tensors, dense } = namedWeights(encoder);
    const entries: WeightEntry[] = [...tensors].map(([name, tensor]) => ({
      name,
      shape: [...tensor.shape],
      dtype: "float32",
    }));
    let shards: string[];
    try {
      shards = await writeShards(staging, tensors, entries, shardBytes);
    } finally {
      tf.dispose([...tensors.values()]);
    }
    const model: TfjsModelJson = {
      format: tfjsModelFormat,
      generatedBy: `babelbed ${packageVersion()}`,
      convertedBy: `babelbed ${packageVersion()} export --format tfjs`,
      weightsManifest: [{ paths: shards, weights: entries }],
      babelbed: {
        version: tfjsLayoutVersion,
        config: configToJson(encoder.transformer.config),
        pooling: encoder.pooling,
        dense,
        normalize: encoder.normalize,
        lowercase: encoder.lowercase,
        maxSeqLength: encoder.maxSeqLength,
        tokenizer: { type: "wordpiece", vocabulary: "vocab.txt", settings: tokenizer.settings() },
        about: { name, languages },
      },
    };
    await fs.writeFile(path.join(staging, "model.json"), `${JSON.stringify(model, null, 2)}\n`);
    // A full tokenizer also writes tokenizer.json and its configs, so Python can read the folder's tokenizer too.
    if (typeof (tokenizer as Partial<Tokenizer>).save === "function")
      await (tokenizer as unknown as Tokenizer).save(staging);
    else await fs.writeFile(path.join(staging, "vocab.txt"), `${tokenizer.vocab.join("\n")}\n`);
    await fs.writeFile(path.join(staging, runtimeFile), runtime.code);
    await fs.writeFile(path.join(staging, pageFile), examplePage({ name, languages, samples: options.samples }));
    await swapDirectory(staging, target);
    return {
      directory: target,
      shards,
      weightBytes: entries.reduce((sum, entry) => sum + weightBytes(entry), 0),
      runtimeBytes: Buffer.byteLength(runtime.code),
    };
  } catch (error) {
    await fs.rm(staging, { recursive: true, force: true });
    throw error;
  }
}

/** The browser runs babelbed's WordPiece only; refuse what it would tokenize differently from Node. */
function browserTokenizer(encoder: SentenceEncoder): WordPieceCore {
  const tokenizer = encoder.tokenizer;
  if (!(tokenizer instanceof WordPieceCore)) {
    throw new BabelbedError(
      "the tfjs export runs babelbed's WordPiece tokenizer in the browser; this model's tokenizer.json (Unigram, BPE or a non-BERT WordPiece pipeline) only runs under Node",
    );
  }
  if (tokenizer.segmenter !== undefined) {
    throw new BabelbedError(
      `this model's tokenizer pre-segments ${tokenizer.segmenter.language ?? "its"} text (kuromoji), which cannot run in the browser; the page would split such text differently from babelbed encode, so the tfjs export is refused`,
    );
  }
  return tokenizer;
}

/** Transformer tensors under their HF names, then each Dense layer's as `dense.K.linear.*`; the caller disposes them. */
function namedWeights(encoder: SentenceEncoder): { tensors: Map<string, tf.Tensor>; dense: DenseEntry[] } {
  const tensors = encoder.transformer.namedTensors();
  const dense = encoder.dense.map((layer, index) => {
    const entry: DenseEntry = { weight: `dense.${index}.linear.weight`, activation: layer.activation };
    tensors.set(entry.weight, layer.weight.clone());
    if (layer.bias !== undefined) {
      entry.bias = `dense.${index}.linear.bias`;
      tensors.set(entry.bias, layer.bias.clone());
    }
    return entry;
  });
  return { tensors, dense };
}

/** One byte stream of all weights in manifest order, cut into files of `shardBytes` as tfjs-converter does. */
async function writeShards(
  dir: string,
  tensors: Map<string, tf.Tensor>,
  entries: WeightEntry[],
  shardBytes: number,
): Promise<string[]> {
  const total = entries.reduce((sum, entry) => sum + weightBytes(entry), 0);
  const count = Math.max(1, Math.ceil(total / shardBytes));
  const names = Array.from({ length: count }, (_, index) => `group1-shard${index + 1}of${count}.bin`);
  let shard = new Uint8Array(Math.min(shardBytes, total));
  let filled = 0;
  let written = 0;
  const flush = async () => {
    await fs.writeFile(path.join(dir, names[written]!), shard.subarray(0, filled));
    written += 1;
    filled = 0;
    shard = new Uint8Array(Math.max(0, Math.min(shardBytes, total - written * shardBytes)));
  };
  for (const entry of entries) {
    const values = (await tensors.get(entry.name)!.data()) as Float32Array;
    if (!(values instanceof Float32Array)) throw new BabelbedError(`weight ${entry.name} is not float32`, 1);
    // tfjs reads shards in the platform's byte order, little-endian everywhere it runs.
    let bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    while (bytes.byteLength > 0) {
      const taken = Math.min(bytes.byteLength, shard.byteLength - filled);
      shard.set(bytes.subarray(0, taken), filled);
      filled += taken;
      bytes = bytes.subarray(taken);
      if (filled === shard.byteLength) await flush();
    }
  }
  if (written < count) await flush();
  return names;
}
