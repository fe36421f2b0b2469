import * as tf from "@tensorflow/tfjs";
import { padBatch, type EncodedText, type TokenBatch } from "./batch.js";
import type { Dense } from "./dense.js";
import type { EmbeddingTable } from "./embedding.js";
import type { Flow } from "./flow.js";
import { l2Normalize } from "./layers.js";
import { pool, poolingList, type Pooling } from "./pooling.js";
import type { ForwardOptions, Transformer } from "./transformer.js";

/** What the encoder needs of a tokenizer (the `Tokenizer` of `text/` fits). */
export interface SentenceTokenizer {
  readonly special: { pad: number };
  encode(text: string, options?: { pair?: string; maxLength?: number }): EncodedText;
}

export interface SentenceEncoderParts {
  tokenizer: SentenceTokenizer;
  transformer: Transformer;
  maxSeqLength: number;
  pooling: Pooling;
  dense?: Dense[];
  normalize?: boolean;
  /** sentence-transformers' `do_lower_case`: lower-case the text before the tokenizer sees it. */
  lowercase?: boolean;
  /** A BERT-flow after the Dense layers (before Normalize): its latent is the sentence vector; never trained with the encoder. */
  flow?: Flow;
}

export interface EncodeOptions {
  batchSize?: number;
  /** Called after each batch with the number of sentences done so far. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Runs forward-only batches outside tfjs (the ONNX engine in io/onnx/) from a snapshot of the
 * weights: vectors `[batch * dimension]`, row-major. Set it only while the weights stay as they are.
 */
export interface ForwardEngine {
  readonly name: string;
  vectors(batch: TokenBatch): Promise<Float32Array>;
}

/**
 * A sentence-transformers pipeline: Transformer → Pooling → optional Dense → optional Normalize.
 */
export class SentenceEncoder {
  readonly tokenizer: SentenceTokenizer;
  readonly transformer: Transformer;
  readonly maxSeqLength: number;
  readonly pooling: Pooling;
  readonly dense: Dense[];
  readonly normalize: boolean;
  readonly lowercase: boolean;
  /** When set, `encode` runs here instead of tfjs (see `ForwardEngine`). */
  engine: ForwardEngine | undefined;
  readonly flow?: Flow;

  constructor(parts: SentenceEncoderParts) {
    this.tokenizer = parts.tokenizer;
    this.transformer = parts.transformer;
    this.maxSeqLength = parts.maxSeqLength;
    this.pooling = parts.pooling;
    this.dense = parts.dense ?? [];
    this.normalize = parts.normalize ?? false;
    this.lowercase = parts.lowercase ?? false;
    this.flow = parts.flow;
  }

  get dimension(): number {
    return this.dense.at(-1)?.outFeatures ?? this.pooledDimension;
  }

  /** Width of the Pooling output: the hidden size once per concatenated mode. */
  get pooledDimension(): number {
    return this.transformer.config.hiddenSize * poolingList(this.pooling).length;
  }

  tokenize(texts: string[]): EncodedText[] {
    return texts.map((text) =>
      this.tokenizer.encode(this.lowercase ? text.toLowerCase() : text, { maxLength: this.maxSeqLength }),
    );
  }

  batch(texts: string[]): TokenBatch {
    return padBatch(this.tokenize(texts), this.tokenizer.special.pad);
  }

  /** Sentence vectors `[batch, dimension]` for a token batch; differentiable. */
  forward(batch: TokenBatch, options: ForwardOptions = {}): tf.Tensor2D {
    return tf.tidy(() => {
      const hidden = this.transformer.forward(batch, options); // [batch, seq, hidden]
      const mask = tf.tensor2d(batch.attentionMask, [batch.batchSize, batch.length], "int32");
      let vectors = pool(hidden, mask, this.pooling); // [batch, hidden]
      for (const dense of this.dense) vectors = dense.forward(vectors); // [batch, dimension]
      if (this.flow !== undefined) vectors = this.flow.forward(vectors).z; // [batch, dimension]
      if (this.normalize) vectors = l2Normalize(vectors);
      return vectors;
    });
  }

  /**
   * Vectors for many sentences, in the caller's order. Sentences are sorted by
   * token count and padded per batch, so short ones never pay for long ones.
   */
  async encode(texts: string[], options: EncodeOptions = {}): Promise<Float32Array[]> {
    const batchSize = options.batchSize ?? 32;
    const encodings = this.tokenize(texts);
    const order = encodings
      .map((_, index) => index)
      .sort((a, b) => encodings[b]!.inputIds.length - encodings[a]!.inputIds.length);
    const result = new Array<Float32Array>(texts.length);
    for (let start = 0; start < order.length; start += batchSize) {
      const indices = order.slice(start, start + batchSize);
      const batch = padBatch(
        indices.map((index) => encodings[index]!),
        this.tokenizer.special.pad,
      );
      const data = this.engine === undefined ? await this.tfjsVectors(batch) : await this.engine.vectors(batch);
      indices.forEach((index, row) => {
        result[index] = data.slice(row * this.dimension, (row + 1) * this.dimension);
      });
      options.onProgress?.(Math.min(start + batchSize, order.length), order.length);
    }
    return result;
  }

  private async tfjsVectors(batch: TokenBatch): Promise<Float32Array> {
    const vectors = this.forward(batch);
    const data = (await vectors.data()) as Float32Array;
    vectors.dispose();
    return data;
  }

  /** Dense trainable parameters, named as their checkpoint files name them. */
  trainableParameters(): Map<string, tf.Variable> {
    const parameters = new Map(this.transformer.trainableParameters());
    this.dense.forEach((dense, index) => {
      for (const [name, variable] of dense.parameters()) parameters.set(`dense.${index}.${name}`, variable);
    });
    return parameters;
  }

  /** Tables updated row-sparsely (see `EmbeddingTable`). */
  sparseTables(): EmbeddingTable[] {
    return [this.transformer.wordEmbeddings];
  }

  /** The word ids each sparse table will be asked for by these batches. */
  sparseIds(batches: TokenBatch[]): Map<EmbeddingTable, Int32Array[]> {
    return new Map([[this.transformer.wordEmbeddings, batches.map((batch) => batch.inputIds)]]);
  }

  dispose(): void {
    this.transformer.dispose();
    for (const dense of this.dense) dense.dispose();
    this.flow?.dispose();
  }
}
