import * as path from "node:path";
import { loadSentenceEncoder } from "../io/encoder-checkpoint.js";
import { positionLimit } from "../io/weight-checks.js";
import { defaultConfig } from "../model/config.js";
import { Dense } from "../model/dense.js";
import { poolingLabel } from "../model/pooling.js";
import { SentenceEncoder } from "../model/sentence-encoder.js";
import { Transformer } from "../model/transformer.js";
import { segmenterFor, trainWordPiece, WordPieceTokenizer, type Segmenter } from "../text/index.js";
import { BabelbedError } from "../util/errors.js";
import { exists } from "../util/files.js";
import type { ModelSpec } from "./schema-parts.js";

export interface ModelResolver {
  /** An earlier step's model directory, or a path relative to the recipe. */
  resolve(reference: string): Promise<string>;
}

export function modelResolver(
  outputs: (name: string) => string,
  completed: () => Set<string>,
  recipeDirectory: string,
): ModelResolver {
  return {
    async resolve(reference: string): Promise<string> {
      if (completed().has(reference)) return outputs(reference);
      const candidate = path.resolve(recipeDirectory, reference);
      if (await exists(candidate)) return candidate;
      throw new BabelbedError(
        `model "${reference}" is neither an earlier step of the recipe nor a directory (${candidate})`,
      );
    },
  };
}

/** One segmenter for the languages a model reads; kuromoji is the only one babelbed ships. */
async function segmenterForLanguages(languages: string[] | undefined): Promise<Segmenter | undefined> {
  for (const language of languages ?? []) {
    const segmenter = await segmenterFor(language);
    if (segmenter !== undefined) return segmenter;
    throw new BabelbedError(`no word segmenter for language "${language}" (babelbed segments ja with kuromoji)`);
  }
  return undefined;
}

export interface BuildOptions {
  /** The teacher's width, which `dense: teacher` projects to (distill steps). */
  teacherDimension?: number;
  /** Where the spec sits in the recipe, for messages: `steps.1.student`. */
  where?: string;
}

/**
 * The encoder a step trains: loaded from a directory (with the spec's pooling and length
 * overriding the stored ones), or fresh, with a WordPiece vocabulary trained on `texts`;
 * then the spec's Dense layer, if any, after the model's own.
 */
export async function buildEncoder(
  spec: ModelSpec,
  texts: () => Iterable<string>,
  seed: number,
  resolver: ModelResolver,
  options: BuildOptions = {},
): Promise<SentenceEncoder> {
  const encoder = await buildBase(spec, texts, seed, resolver);
  const first = encoder.dense[0];
  if (first !== undefined && first.inFeatures !== encoder.pooledDimension) {
    const width = encoder.pooledDimension;
    encoder.dispose();
    throw new BabelbedError(
      `${options.where ?? "model"}.pooling: ${poolingLabel(encoder.pooling)} gives ${width} values per sentence, but the model's Dense layer takes ${first.inFeatures}; keep the model's pooling`,
    );
  }
  if (spec.dense === undefined) return encoder;
  if (spec.dense === "teacher" && options.teacherDimension === undefined) {
    encoder.dispose();
    throw new BabelbedError(
      `${options.where ?? "model"}.dense: "teacher" sizes the layer to a teacher, which only a distill step's student has; give {outFeatures, activation}`,
    );
  }
  // A plain linear map to the teacher's width: tanh would cap the student at ±1 where the teacher need not be.
  const [outFeatures, activation] =
    spec.dense === "teacher"
      ? [options.teacherDimension!, "identity" as const]
      : [spec.dense.outFeatures, spec.dense.activation];
  const dense = Dense.initialize(encoder.dimension, outFeatures, activation, seed + 1);
  return new SentenceEncoder({
    tokenizer: encoder.tokenizer,
    transformer: encoder.transformer,
    maxSeqLength: encoder.maxSeqLength,
    pooling: encoder.pooling,
    dense: [...encoder.dense, dense],
    normalize: encoder.normalize,
    lowercase: encoder.lowercase,
  });
}

async function buildBase(
  spec: ModelSpec,
  texts: () => Iterable<string>,
  seed: number,
  resolver: ModelResolver,
): Promise<SentenceEncoder> {
  const segmenter = await segmenterForLanguages(spec.segment);
  if (spec.from !== undefined) {
    const loaded = await loadSentenceEncoder(await resolver.resolve(spec.from), { segmenter });
    if (spec.pooling === undefined && spec.normalize === undefined && spec.maxSeqLength === undefined) return loaded;
    return new SentenceEncoder({
      tokenizer: loaded.tokenizer,
      transformer: loaded.transformer,
      dense: loaded.dense,
      flow: loaded.flow,
      lowercase: loaded.lowercase,
      pooling: spec.pooling ?? loaded.pooling,
      normalize: spec.normalize ?? loaded.normalize,
      maxSeqLength: Math.min(spec.maxSeqLength ?? loaded.maxSeqLength, positionLimit(loaded.transformer.config)),
    });
  }
  const fresh = spec.fresh!;
  const maxSeqLength = spec.maxSeqLength ?? 128;
  const vocabulary = await trainWordPiece(texts(), {
    vocabSize: fresh.vocabulary.size,
    lowercase: fresh.vocabulary.lowercase,
    minFrequency: fresh.vocabulary.minFrequency,
    segmenter,
  });
  const tokenizer = new WordPieceTokenizer(vocabulary, {
    lowercase: fresh.vocabulary.lowercase,
    segmenter,
    modelMaxLength: maxSeqLength,
  });
  if (fresh.hiddenSize % fresh.heads !== 0)
    throw new BabelbedError(`fresh model: hiddenSize ${fresh.hiddenSize} is not a multiple of heads ${fresh.heads}`);
  const config = defaultConfig({
    vocabSize: vocabulary.length,
    hiddenSize: fresh.hiddenSize,
    numHiddenLayers: fresh.layers,
    numAttentionHeads: fresh.heads,
    intermediateSize: fresh.intermediateSize,
    maxPositionEmbeddings: fresh.maxPositions ?? Math.max(128, maxSeqLength),
    hiddenDropoutProb: fresh.dropout,
    attentionProbsDropoutProb: fresh.dropout,
  });
  return new SentenceEncoder({
    tokenizer,
    transformer: Transformer.initialize(config, seed),
    maxSeqLength: Math.min(maxSeqLength, positionLimit(config)),
    pooling: spec.pooling ?? "mean",
    normalize: spec.normalize ?? false,
  });
}
