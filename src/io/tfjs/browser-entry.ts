import * as tf from "@tensorflow/tfjs";
import { configFromJson } from "../../model/config.js";
import { Dense } from "../../model/dense.js";
import { SentenceEncoder } from "../../model/sentence-encoder.js";
import { Transformer } from "../../model/transformer.js";
import { WordPieceCore, parseVocab } from "../../text/wordpiece-core.js";
import { checkModelJson, weightBytes, type TfjsModelJson, type WeightGroup } from "./manifest.js";

// The browser runtime's entry: `babelbed export --format tfjs` bundles this file with esbuild
// (platform "browser"), so everything it imports must be free of Node built-ins. It builds the
// encoder from babelbed's own model/ and text/ code, so the page computes what `babelbed encode` does.

export interface LoadTfjsOptions {
  /** Defaults to the global fetch; pass one to add headers or serve from memory. */
  fetch?: (url: string) => Promise<Response>;
}

export interface TfjsEncoder {
  readonly dimension: number;
  readonly maxSeqLength: number;
  /** One vector per sentence, in the caller's order. */
  encode(sentences: string[], options?: { batchSize?: number }): Promise<number[][]>;
  dispose(): void;
}

/**
 * Load a `babelbed export --format tfjs` directory from `baseUrl` (the directory, or its
 * model.json): model.json, the weight shards and vocab.txt.
 */
export async function loadTfjsEncoder(baseUrl: string | URL, options: LoadTfjsOptions = {}): Promise<TfjsEncoder> {
  const get = options.fetch ?? ((url: string) => globalThis.fetch(url));
  const modelUrl = modelJsonUrl(baseUrl);
  const model = checkModelJson(await (await fetchOk(get, modelUrl)).json(), modelUrl.href);
  const section = model.babelbed;
  const vocabularyUrl = new URL(section.tokenizer.vocabulary, modelUrl);
  const [weights, vocabulary] = await Promise.all([
    fetchWeights(get, model, modelUrl),
    fetchOk(get, vocabularyUrl).then((response) => response.text()),
  ]);
  let encoder: SentenceEncoder;
  try {
    encoder = buildEncoder(model, weights, parseVocab(vocabulary), modelUrl.href);
  } finally {
    tf.dispose([...weights.values()]);
  }
  return {
    dimension: encoder.dimension,
    maxSeqLength: encoder.maxSeqLength,
    encode: async (sentences, encodeOptions = {}) =>
      (await encoder.encode(sentences, { batchSize: encodeOptions.batchSize })).map((vector) => Array.from(vector)),
    dispose: () => encoder.dispose(),
  };
}

function buildEncoder(
  model: TfjsModelJson,
  weights: Map<string, tf.Tensor>,
  vocabulary: string[],
  source: string,
): SentenceEncoder {
  const section = model.babelbed;
  const named = (name: string): tf.Tensor => {
    const tensor = weights.get(name);
    if (tensor === undefined) throw new Error(`${source}: weight "${name}" is not in the manifest`);
    return tensor;
  };
  const transformer = new Transformer(configFromJson(section.config, source), weights);
  const dense = section.dense.map(
    (entry) =>
      new Dense(
        named(entry.weight) as tf.Tensor2D,
        entry.bias === undefined ? undefined : (named(entry.bias) as tf.Tensor1D),
        entry.activation,
      ),
  );
  return new SentenceEncoder({
    tokenizer: new WordPieceCore(vocabulary, section.tokenizer.settings),
    transformer,
    maxSeqLength: section.maxSeqLength,
    pooling: section.pooling,
    dense,
    normalize: section.normalize,
    lowercase: section.lowercase,
  });
}

/** Every weight of every group; a group's shards are one byte stream cut into files. */
async function fetchWeights(
  get: NonNullable<LoadTfjsOptions["fetch"]>,
  model: TfjsModelJson,
  modelUrl: URL,
): Promise<Map<string, tf.Tensor>> {
  const weights = new Map<string, tf.Tensor>();
  for (const group of model.weightsManifest) {
    const shards = await Promise.all(
      group.paths.map(
        async (file) => new Uint8Array(await (await fetchOk(get, new URL(file, modelUrl))).arrayBuffer()),
      ),
    );
    const bytes = concatenate(shards);
    checkGroupSize(group, bytes.byteLength, modelUrl.href);
    let offset = 0;
    for (const entry of group.weights) {
      const length = weightBytes(entry);
      weights.set(entry.name, tf.tensor(new Float32Array(bytes.buffer, offset, length / 4), entry.shape, "float32"));
      offset += length;
    }
  }
  return weights;
}

function checkGroupSize(group: WeightGroup, actual: number, source: string): void {
  const expected = group.weights.reduce((sum, entry) => sum + weightBytes(entry), 0);
  if (actual !== expected) {
    throw new Error(
      `${source}: shards ${group.paths.join(", ")} hold ${actual} bytes, the manifest's weights need ${expected}`,
    );
  }
}

function concatenate(parts: Uint8Array[]): Uint8Array {
  // Float32Array views need a 4-byte-aligned offset, which a fresh buffer gives.
  const result = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    result.set(part, offset);
    offset += part.byteLength;
  }
  return result;
}

async function fetchOk(get: NonNullable<LoadTfjsOptions["fetch"]>, url: URL): Promise<Response> {
  const response = await get(url.href);
  if (!response.ok) throw new Error(`${url.href}: HTTP ${response.status} ${response.statusText}`);
  return response;
}

function modelJsonUrl(baseUrl: string | URL): URL {
  const page = (globalThis as { location?: { href: string } }).location?.href;
  const url = new URL(String(baseUrl), page);
  if (url.pathname.endsWith(".json")) return url;
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  return new URL("model.json", url);
}
