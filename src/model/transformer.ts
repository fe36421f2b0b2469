import * as tf from "@tensorflow/tfjs";
import { Random } from "../util/random.js";
import { initialWeights } from "./initialization.js";
import type { TokenBatch } from "./batch.js";
import { architectureOf, type Architecture } from "./architecture.js";
import { positionIds, type TransformerConfig } from "./config.js";
import { EmbeddingTable, embed, type SparseLookup } from "./embedding.js";
import { dropout, gelu, layerNorm, linear } from "./layers.js";

/** float32's lowest value, which HF adds to the attention scores of padding positions. */
const MASKED = -3.4028234663852886e38;

export interface ForwardOptions {
  training?: boolean;
  /** Dropout seeds come from here, so a seeded run drops the same units. */
  random?: Random;
  /** Trainable rows of the word embeddings for this step (see `SparseRows`). */
  sparse?: SparseLookup;
}

/**
 * BERT (Devlin et al. 2019) as Hugging Face's `BertModel` computes it, also serving
 * RoBERTa and XLM-RoBERTa (same blocks, offset positions), MPNet (relative attention bias)
 * and DistilBERT (no token types); see `architecture.ts`. Parameters carry HF names.
 */
export class Transformer {
  readonly wordEmbeddings: EmbeddingTable;
  readonly parameters = new Map<string, tf.Variable>();
  readonly architecture: Architecture;

  constructor(readonly config: TransformerConfig, weights: Map<string, tf.Tensor>) {
    this.architecture = architectureOf(config);
    const words = weights.get("embeddings.word_embeddings.weight");
    if (words === undefined) throw new Error("missing tensor embeddings.word_embeddings.weight");
    if (words.shape.join() !== [config.vocabSize, config.hiddenSize].join()) {
      throw new Error(`tensor embeddings.word_embeddings.weight: expected shape [${config.vocabSize}, ${config.hiddenSize}], got [${words.shape.join(", ")}]`);
    }
    this.wordEmbeddings = EmbeddingTable.fromTensor("embeddings.word_embeddings.weight", words as tf.Tensor2D);
    for (const [name, shape] of parameterShapes(config)) {
      if (name === "embeddings.word_embeddings.weight") continue;
      const tensor = weights.get(name);
      // Checkpoints saved with add_pooling_layer=False have no pooler; it is only needed for `pool()`.
      if (tensor === undefined && name.startsWith("pooler.")) continue;
      if (tensor === undefined) throw new Error(`missing tensor ${name}`);
      if (tensor.shape.join() !== shape.join()) {
        throw new Error(`tensor ${name}: expected shape [${shape.join(", ")}], got [${tensor.shape.join(", ")}]`);
      }
      this.parameters.set(name, tf.variable(tensor, !this.architecture.frozen(name, config), undefined, "float32"));
    }
  }

  /** A freshly initialised model, as HF's `_init_weights` does it: N(0, range), zero biases, unit LayerNorm. */
  static initialize(config: TransformerConfig, seed: number): Transformer {
    const weights = initialWeights(parameterShapes(config), config.initializerRange, seed);
    const architecture = architectureOf(config);
    architecture.initialize?.(weights, config);
    // The word embeddings have padding_idx: the padding row starts at zero.
    const words = weights.get("embeddings.word_embeddings.weight")!;
    const padding = architecture.wordPaddingIndex(config);
    weights.set("embeddings.word_embeddings.weight", tf.tidy(() => tf.mul(words, tf.oneHot(padding, config.vocabSize, 0, 1).expandDims(1))));
    words.dispose();
    const model = new Transformer(config, weights);
    tf.dispose([...weights.values()]);
    return model;
  }

  private weight(name: string): tf.Variable {
    return this.parameters.get(name)!;
  }

  /** The last hidden state `[batch, seq, hidden]`. */
  forward(batch: TokenBatch, options: ForwardOptions = {}): tf.Tensor3D {
    const { batchSize, length } = batch;
    const { hiddenSize, numAttentionHeads, layerNormEps } = this.config;
    const training = options.training ?? false;
    const random = options.random ?? new Random(0);
    const seed = () => random.seedForOp();
    const rate = this.config.hiddenDropoutProb;
    return tf.tidy(() => {
      // Embeddings: word + position (+ token type), then LayerNorm and dropout.
      const positions = tf.tensor2d(positionIds(this.config, batch.inputIds, batchSize, length), [batchSize, length], "int32");
      const words = embed(this.wordEmbeddings, batch.inputIds, [batchSize, length], options.sparse); // [batch, seq, hidden]
      const position = tf.gather(this.weight("embeddings.position_embeddings.weight"), positions); // [batch, seq, hidden]
      let x = tf.add(words, position);
      if (this.parameters.has("embeddings.token_type_embeddings.weight")) {
        const types = tf.gather(
          this.weight("embeddings.token_type_embeddings.weight"),
          tf.tensor2d(batch.tokenTypeIds, [batchSize, length], "int32"),
        ); // [batch, seq, hidden]
        x = tf.add(x, types);
      }
      x = layerNorm(x, this.weight("embeddings.LayerNorm.weight") as tf.Tensor1D, this.weight("embeddings.LayerNorm.bias") as tf.Tensor1D, layerNormEps);
      x = dropout(x, rate, training, seed);

      // Padding positions get float32's minimum added to their scores, so softmax gives them zero weight.
      const mask = tf.tensor2d(batch.attentionMask, [batchSize, length], "int32").toFloat();
      let scoreBias: tf.Tensor = tf.mul(tf.sub(1, mask), MASKED).reshape([batchSize, 1, 1, length]); // [batch, 1, 1, seq]
      // MPNet's relative position bias, the same for every layer.
      const relative = this.architecture.attentionBias?.(this.parameters, length, this.config); // [1, heads, seq, seq]
      if (relative !== undefined) scoreBias = tf.add(relative, scoreBias); // [batch, heads, seq, seq]

      const headSize = hiddenSize / numAttentionHeads;
      for (let layer = 0; layer < this.config.numHiddenLayers; layer++) {
        const names = this.architecture.block(layer);
        const dense = (name: string, input: tf.Tensor) =>
          linear(input, this.weight(`${name}.weight`) as tf.Tensor2D, this.weight(`${name}.bias`) as tf.Tensor1D);
        const norm = (name: string, input: tf.Tensor) =>
          layerNorm(input, this.weight(`${name}.weight`) as tf.Tensor1D, this.weight(`${name}.bias`) as tf.Tensor1D, layerNormEps);
        // Multi-head self-attention.
        const heads = (t: tf.Tensor) => t.reshape([batchSize, length, numAttentionHeads, headSize]).transpose([0, 2, 1, 3]); // [batch, heads, seq, head]
        const query = heads(dense(names.query, x));
        const key = heads(dense(names.key, x));
        const value = heads(dense(names.value, x));
        const scores = tf.add(tf.div(tf.matMul(query, key, false, true), Math.sqrt(headSize)), scoreBias); // [batch, heads, seq, seq]
        const probabilities = dropout(tf.softmax(scores, -1), this.config.attentionProbsDropoutProb, training, seed);
        const context = tf.matMul(probabilities, value).transpose([0, 2, 1, 3]).reshape([batchSize, length, hiddenSize]); // [batch, seq, hidden]
        const attended = dropout(dense(names.attentionOutput, context), rate, training, seed);
        x = norm(names.attentionNorm, tf.add(x, attended));

        // Position-wise feed-forward network.
        const inner = gelu(dense(names.intermediate, x)); // [batch, seq, intermediate]
        const projected = dropout(dense(names.output, inner), rate, training, seed);
        x = norm(names.outputNorm, tf.add(x, projected));
      }
      return x as tf.Tensor3D;
    });
  }

  /** BERT's pooler: `tanh(dense(h[CLS]))`, `[batch, hidden]`. */
  pool(hidden: tf.Tensor3D): tf.Tensor2D {
    if (!this.parameters.has("pooler.dense.weight")) throw new Error("this checkpoint has no pooler (pooler.dense.*)");
    return tf.tidy(() => {
      const first = hidden.slice([0, 0, 0], [hidden.shape[0], 1, hidden.shape[2]]).squeeze([1]);
      return tf.tanh(linear(first, this.weight("pooler.dense.weight") as tf.Tensor2D, this.weight("pooler.dense.bias") as tf.Tensor1D)) as tf.Tensor2D;
    });
  }

  /** Every tensor under its HF name; the caller disposes the result. */
  namedTensors(): Map<string, tf.Tensor> {
    const named = new Map<string, tf.Tensor>();
    named.set(this.wordEmbeddings.name, this.wordEmbeddings.toTensor());
    for (const [name, variable] of this.parameters) named.set(name, variable.clone());
    return named;
  }

  /** Trainable dense parameters (the pooler is left out: sentence pooling never uses it). */
  trainableParameters(): Map<string, tf.Variable> {
    return new Map([...this.parameters].filter(([name]) => !this.architecture.frozen(name, this.config)));
  }

  /** Tables updated row-sparsely (see `EmbeddingTable`). */
  sparseTables(): EmbeddingTable[] {
    return [this.wordEmbeddings];
  }

  dispose(): void {
    this.wordEmbeddings.dispose();
    for (const variable of this.parameters.values()) variable.dispose();
  }
}

/** Every parameter of the model with its HF name and shape (Linear weights `[out, in]`). */
export function parameterShapes(config: TransformerConfig): [string, number[]][] {
  return architectureOf(config).parameterShapes(config);
}
