import * as tf from "@tensorflow/tfjs";
import { Random } from "../util/random.js";
import { initialWeights } from "./initialization.js";
import type { TokenBatch } from "./batch.js";
import { architectureOf, type Architecture } from "./architecture.js";
import { positionIds, type TransformerConfig } from "./config.js";
import { EmbeddingTable, embed as lookUp, type SparseLookup } from "./embedding.js";
import { encoderLayer, type ForwardPass } from "./encoder-layer.js";
import { dropout, layerNorm, linear } from "./layers.js";
import { embeddingNames, transformerWeights, type TransformerWeights } from "./weights.js";

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
  /** Every parameter but the word embeddings, under its HF name: what checkpoints and optimizers key by. */
  readonly parameters = new Map<string, tf.Variable>();
  /** The same variables as `parameters`, by role, for the forward pass. */
  readonly weights: TransformerWeights;
  readonly architecture: Architecture;

  constructor(
    readonly config: TransformerConfig,
    weights: Map<string, tf.Tensor>,
  ) {
    this.architecture = architectureOf(config);
    const words = weights.get(embeddingNames.words);
    if (words === undefined) throw new Error(`missing tensor ${embeddingNames.words}`);
    if (words.shape.join() !== [config.vocabSize, config.hiddenSize].join()) {
      const expected = `[${config.vocabSize}, ${config.hiddenSize}]`;
      throw new Error(`tensor ${embeddingNames.words}: expected shape ${expected}, got [${words.shape.join(", ")}]`);
    }
    this.wordEmbeddings = EmbeddingTable.fromTensor(embeddingNames.words, words as tf.Tensor2D);
    for (const [name, shape] of parameterShapes(config)) {
      if (name === embeddingNames.words) continue;
      const tensor = weights.get(name);
      // Checkpoints saved with add_pooling_layer=False have no pooler; it is only needed for `pool()`.
      if (tensor === undefined && name.startsWith("pooler.")) continue;
      if (tensor === undefined) throw new Error(`missing tensor ${name}`);
      if (tensor.shape.join() !== shape.join()) {
        throw new Error(`tensor ${name}: expected shape [${shape.join(", ")}], got [${tensor.shape.join(", ")}]`);
      }
      const trainable = !this.architecture.frozen(name, config);
      this.parameters.set(name, tf.variable(tensor, trainable, undefined, "float32"));
    }
    this.weights = transformerWeights(this.parameters, {
      layers: Array.from({ length: config.numHiddenLayers }, (_, layer) => this.architecture.block(layer)),
      relativeAttentionBias: this.architecture.relativeAttentionBias?.table,
    });
  }

  /** A freshly initialised model, as HF's `_init_weights`: N(0, range), zero biases, unit LayerNorm. */
  static initialize(config: TransformerConfig, seed: number): Transformer {
    const weights = initialWeights(parameterShapes(config), config.initializerRange, seed);
    const architecture = architectureOf(config);
    architecture.initialize?.(weights, config);
    // The word embeddings have padding_idx: the padding row starts at zero.
    const words = weights.get(embeddingNames.words)!;
    const padding = architecture.wordPaddingIndex(config);
    const keep = (ones: tf.Tensor) => tf.mul(words, ones.expandDims(1)); // [vocab, hidden], the padding row zero
    weights.set(
      embeddingNames.words,
      tf.tidy(() => keep(tf.oneHot(padding, config.vocabSize, 0, 1))),
    );
    words.dispose();
    const model = new Transformer(config, weights);
    tf.dispose([...weights.values()]);
    return model;
  }

  /** The last hidden state `[batch, seq, hidden]`. */
  forward(batch: TokenBatch, options: ForwardOptions = {}): tf.Tensor3D {
    const random = options.random ?? new Random(0);
    const pass: ForwardPass = {
      batchSize: batch.batchSize,
      length: batch.length,
      hiddenSize: this.config.hiddenSize,
      heads: this.config.numAttentionHeads,
      layerNormEps: this.config.layerNormEps,
      hiddenDropout: this.config.hiddenDropoutProb,
      attentionDropout: this.config.attentionProbsDropoutProb,
      training: options.training ?? false,
      seed: () => random.seedForOp(),
    };
    return tf.tidy(() => {
      let x = this.embed(batch, pass, options.sparse); // [batch, seq, hidden]
      const scoreBias = this.scoreBias(batch); // [batch, 1 or heads, 1 or seq, seq]
      // A tidy per layer frees what no gradient reads as soon as the layer is done.
      for (const layer of this.weights.layers) x = tf.tidy(() => encoderLayer(x, layer, scoreBias, pass)); // [batch, seq, hidden]
      return x as tf.Tensor3D;
    });
  }

  /** `BertEmbeddings`: word + position (+ token type) embeddings, LayerNorm, dropout; inside a tidy. */
  private embed(batch: TokenBatch, pass: ForwardPass, sparse?: SparseLookup): tf.Tensor {
    const { batchSize, length } = batch;
    const { positions, tokenTypes, norm } = this.weights.embeddings;
    const rows = positionIds(this.config, batch.inputIds, batchSize, length);
    const positionRows = tf.tensor2d(rows, [batchSize, length], "int32");
    // From the step's trainable rows when `sparse` holds them (see `SparseRows`), else from the table's blocks.
    const words = lookUp(this.wordEmbeddings, batch.inputIds, [batchSize, length], sparse); // [batch, seq, hidden]
    let x = tf.add(words, tf.gather(positions, positionRows)); // [batch, seq, hidden]
    if (tokenTypes !== undefined) {
      const types = tf.tensor2d(batch.tokenTypeIds, [batchSize, length], "int32");
      x = tf.add(x, tf.gather(tokenTypes, types)); // [batch, seq, hidden]
    }
    x = layerNorm(x, norm.weight, norm.bias, pass.layerNormEps);
    return dropout(x, pass.hiddenDropout, pass.training, pass.seed);
  }

  /**
   * Added to every head's attention scores: float32's minimum at padding positions, so softmax
   * gives them zero weight, plus MPNet's relative position bias. Inside a tidy.
   */
  private scoreBias(batch: TokenBatch): tf.Tensor {
    const { batchSize, length } = batch;
    const mask = tf.tensor2d(batch.attentionMask, [batchSize, length], "int32").toFloat();
    const padding = tf.mul(tf.sub(1, mask), MASKED).reshape([batchSize, 1, 1, length]); // [batch, 1, 1, seq]
    const relative = this.architecture.relativeAttentionBias;
    const table = this.weights.relativeAttentionBias;
    if (relative === undefined || table === undefined) return padding;
    return tf.add(relative.scores(table, length), padding); // [batch, heads, seq, seq]
  }

  /** BERT's pooler: `tanh(dense(h[CLS]))`, `[batch, hidden]`. */
  pool(hidden: tf.Tensor3D): tf.Tensor2D {
    const pooler = this.weights.pooler;
    if (pooler === undefined) throw new Error("this checkpoint has no pooler (pooler.dense.*)");
    return tf.tidy(() => {
      const first = hidden.slice([0, 0, 0], [hidden.shape[0], 1, hidden.shape[2]]).squeeze([1]); // [batch, hidden]
      return tf.tanh(linear(first, pooler.weight, pooler.bias)) as tf.Tensor2D;
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
