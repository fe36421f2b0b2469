import * as tf from "@tensorflow/tfjs";
import type { TransformerConfig } from "../model/config.js";
import { gelu, layerNorm, linear } from "../model/layers.js";
import { initialWeights } from "../model/initialization.js";

/** The label of positions that take no part in the loss (torch's `CrossEntropyLoss` ignore_index). */
export const ignoredLabel = -100;

/** The head's parameters with their HF `BertForMaskedLM` names and shapes (Linear weights `[out, in]`). */
export function headParameterShapes(config: TransformerConfig): [string, number[]][] {
  const h = config.hiddenSize;
  return [
    ["cls.predictions.transform.dense.weight", [h, h]],
    ["cls.predictions.transform.dense.bias", [h]],
    ["cls.predictions.transform.LayerNorm.weight", [h]],
    ["cls.predictions.transform.LayerNorm.bias", [h]],
    ["cls.predictions.bias", [config.vocabSize]],
  ];
}

/**
 * BERT's masked-language-model head (Devlin et al. 2019, §3.1), as HF's `BertLMPredictionHead`:
 * `logits = LayerNorm(gelu(dense(h))) E^T + b`, with the decoder `E` tied to the word
 * embeddings. LaBSE (Feng et al. 2020, "Language-agnostic BERT Sentence Embedding")
 * pre-trains its encoder with this head on MLM (single sentences) and TLM (translation
 * pairs) before the dual-encoder stage.
 */
export class MaskedLanguageModelHead {
  readonly parameters = new Map<string, tf.Variable>();

  constructor(
    readonly config: TransformerConfig,
    weights: Map<string, tf.Tensor>,
  ) {
    for (const [name, shape] of headParameterShapes(config)) {
      const tensor = weights.get(name);
      if (tensor === undefined) throw new Error(`missing tensor ${name}`);
      if (tensor.shape.join() !== shape.join()) {
        throw new Error(`tensor ${name}: expected shape [${shape.join(", ")}], got [${tensor.shape.join(", ")}]`);
      }
      this.parameters.set(name, tf.variable(tensor, true, undefined, "float32"));
    }
  }

  /** A fresh head, as HF's `_init_weights`: dense N(0, range), zero biases, unit LayerNorm. */
  static initialize(config: TransformerConfig, seed: number): MaskedLanguageModelHead {
    const weights = initialWeights(headParameterShapes(config), config.initializerRange, seed);
    const head = new MaskedLanguageModelHead(config, weights);
    tf.dispose([...weights.values()]);
    return head;
  }

  private weight(name: string): tf.Variable {
    return this.parameters.get(name)!;
  }

  /** Vocabulary logits `[positions, vocab]` for hidden states `[positions, hidden]`; `decoder` is `E` `[vocab, hidden]`. */
  logits(hidden: tf.Tensor2D, decoder: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const p = (name: string) => this.weight(`cls.predictions.${name}`);
      const dense = linear(
        hidden,
        p("transform.dense.weight") as tf.Tensor2D,
        p("transform.dense.bias") as tf.Tensor1D,
      ); // [positions, hidden]
      const transformed = layerNorm(
        gelu(dense),
        p("transform.LayerNorm.weight") as tf.Tensor1D,
        p("transform.LayerNorm.bias") as tf.Tensor1D,
        this.config.layerNormEps,
      );
      return tf.add(tf.matMul(transformed, decoder, false, true), p("bias")) as tf.Tensor2D; // [positions, vocab]
    });
  }

  /**
   * Mean cross-entropy over the positions whose label is not `ignoredLabel`.
   * `sequenceOutput` is `[batch, seq, hidden]`, `labels` row-major `[batch, seq]`.
   */
  loss(sequenceOutput: tf.Tensor3D, labels: Int32Array, decoder: tf.Tensor2D): tf.Scalar {
    const [batch, length, hidden] = sequenceOutput.shape;
    const { positions, targets } = labelledPositions(labels, batch * length, this.config.vocabSize);
    return tf.tidy(() => {
      const flat = sequenceOutput.reshape([batch * length, hidden]); // [batch·seq, hidden]
      const chosen = tf.gather(flat, tf.tensor1d(positions, "int32")) as tf.Tensor2D; // [labelled, hidden]
      const logProbabilities = tf.logSoftmax(this.logits(chosen, decoder)); // [labelled, vocab]
      const truth = tf.oneHot(tf.tensor1d(targets, "int32"), this.config.vocabSize, 1, 0, "float32"); // [labelled, vocab]
      return tf.neg(tf.mean(tf.sum(tf.mul(logProbabilities, truth), 1))) as tf.Scalar;
    });
  }

  trainableParameters(): Map<string, tf.Variable> {
    return new Map(this.parameters);
  }

  /** Every tensor under its HF name; the caller disposes the result. */
  namedTensors(): Map<string, tf.Tensor> {
    return new Map([...this.parameters].map(([name, variable]) => [name, variable.clone()]));
  }

  dispose(): void {
    for (const variable of this.parameters.values()) variable.dispose();
  }
}

/**
 * The positions `[batch·seq]` whose label is not `ignoredLabel`, with their labels. Unlabelled
 * positions add nothing to the loss or its gradients, so only the labelled ones are decoded:
 * the softmax is still over the whole vocabulary, as the reference computes it.
 */
export function labelledPositions(
  labels: Int32Array,
  size: number,
  vocabSize: number,
): { positions: number[]; targets: number[] } {
  if (labels.length !== size) throw new Error(`MLM labels: expected ${size}, one per token, got ${labels.length}`);
  const positions: number[] = [];
  const targets: number[] = [];
  labels.forEach((label, index) => {
    if (label === ignoredLabel) return;
    if (label < 0 || label >= vocabSize)
      throw new Error(`MLM label ${label} at position ${index} is outside the vocabulary [0, ${vocabSize})`);
    positions.push(index);
    targets.push(label);
  });
  if (positions.length === 0) throw new Error("MLM loss: no position is labelled (every label is -100)");
  return { positions, targets };
}
