import type { DenseActivation } from "../../model/dense.js";
import type { Pooling } from "../../model/pooling.js";
import type { WordPieceSettings } from "../../text/wordpiece-core.js";

// Shared by the Node writer and the browser runtime, so it imports nothing Node-only.

/** model.json's `format`: not a tf.LayersModel or GraphModel, so tfjs' own loaders must refuse it. */
export const tfjsModelFormat = "babelbed-sentence-encoder";
export const tfjsLayoutVersion = 1;
/** tfjs-converter's default shard size. */
export const defaultShardBytes = 4 * 1024 * 1024;
/** The bundled runtime and the example page, written beside model.json. */
export const runtimeFile = "babelbed-tfjs.js";
export const pageFile = "index.html";

/** One entry of tfjs' weights manifest; babelbed writes float32 only. */
export interface WeightEntry {
  name: string;
  shape: number[];
  dtype: "float32";
}

export interface WeightGroup {
  paths: string[];
  weights: WeightEntry[];
}

export interface DenseEntry {
  /** Weight names in the manifest: `[out, in]` and `[out]`. */
  weight: string;
  bias?: string;
  activation: DenseActivation;
}

/** babelbed's own section of model.json: what the weights manifest cannot say. */
export interface BabelbedSection {
  version: number;
  /** The transformer's config.json, as `configToJson` gives it. */
  config: Record<string, unknown>;
  /** One mode, or several concatenated in this order. */
  pooling: Pooling;
  dense: DenseEntry[];
  normalize: boolean;
  lowercase: boolean;
  maxSeqLength: number;
  tokenizer: { type: "wordpiece"; vocabulary: string; settings: WordPieceSettings };
  /** What the page says about the model (absent in exports before it was written). */
  about?: { name: string; languages: string[] };
}

export interface TfjsModelJson {
  format: string;
  generatedBy: string;
  convertedBy: string;
  weightsManifest: WeightGroup[];
  babelbed: BabelbedSection;
}

/** Checks the parts the runtime relies on, naming `source` (a path or URL) in the message. */
export function checkModelJson(json: unknown, source: string): TfjsModelJson {
  const record = json as Partial<TfjsModelJson> | null;
  if (typeof record !== "object" || record === null || record.format !== tfjsModelFormat) {
    throw new Error(`${source}: not a babelbed TensorFlow.js export (format is not "${tfjsModelFormat}")`);
  }
  const section = record.babelbed;
  if (typeof section !== "object" || section === null || section.version !== tfjsLayoutVersion) {
    throw new Error(
      `${source}: field "babelbed" is missing or of another layout version (this runtime reads ${tfjsLayoutVersion})`,
    );
  }
  if (
    !Array.isArray(record.weightsManifest) ||
    record.weightsManifest.some((group) => !Array.isArray(group.paths) || !Array.isArray(group.weights))
  ) {
    throw new Error(`${source}: field "weightsManifest" must be a list of {paths, weights}`);
  }
  if (section.tokenizer?.type !== "wordpiece") {
    throw new Error(`${source}: field "babelbed.tokenizer.type" must be "wordpiece"`);
  }
  return record as TfjsModelJson;
}

/** Bytes of a float32 weight. */
export function weightBytes(entry: WeightEntry): number {
  return entry.shape.reduce((product, size) => product * size, 1) * 4;
}
