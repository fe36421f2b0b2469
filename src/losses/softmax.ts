import * as tf from "@tensorflow/tfjs";
import { Random } from "../util/random.js";

/**
 * The classification objective of SBERT (Reimers & Gurevych 2019, "Sentence-BERT", §3):
 * `softmax(W [u; v; |u − v|] + b)` with cross-entropy against NLI labels, as
 * sentence-transformers' `SoftmaxLoss`. The head is trained with the encoder and
 * thrown away afterwards.
 */
export class SoftmaxClassifier {
  readonly weight: tf.Variable; // [labels, 3 * dimension]
  readonly bias: tf.Variable; // [labels]

  constructor(weight: tf.Tensor2D, bias: tf.Tensor1D) {
    this.weight = tf.variable(weight, true);
    this.bias = tf.variable(bias, true);
  }

  /** torch.nn.Linear's default initialisation: U(−1/√fan_in, 1/√fan_in) for weight and bias. */
  static initialize(dimension: number, labels: number, seed: number): SoftmaxClassifier {
    const random = new Random(seed);
    const bound = 1 / Math.sqrt(3 * dimension);
    const uniform = (size: number) => Float32Array.from({ length: size }, () => (random.next() * 2 - 1) * bound);
    const weight = tf.tensor2d(uniform(labels * 3 * dimension), [labels, 3 * dimension]);
    const bias = tf.tensor1d(uniform(labels));
    const classifier = new SoftmaxClassifier(weight, bias);
    tf.dispose([weight, bias]);
    return classifier;
  }

  logits(u: tf.Tensor2D, v: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const features = tf.concat([u, v, tf.abs(tf.sub(u, v))], 1); // [batch, 3 * dimension]
      return tf.add(tf.matMul(features, this.weight, false, true), this.bias) as tf.Tensor2D; // [batch, labels]
    });
  }

  /** Mean cross-entropy of the predicted label distribution. */
  loss(u: tf.Tensor2D, v: tf.Tensor2D, labels: Int32Array): tf.Scalar {
    return tf.tidy(() => crossEntropy(this.logits(u, v), labels));
  }

  parameters(): Map<string, tf.Variable> {
    return new Map([
      ["classifier.weight", this.weight],
      ["classifier.bias", this.bias],
    ]);
  }

  dispose(): void {
    tf.dispose([this.weight, this.bias]);
  }
}

/** Mean cross-entropy of `logits` `[batch, classes]` against integer targets. */
export function crossEntropy(logits: tf.Tensor2D, targets: Int32Array): tf.Scalar {
  return tf.tidy(() => {
    const logProbabilities = tf.logSoftmax(logits, -1);
    const picked = tf.sum(tf.mul(logProbabilities, tf.oneHot(tf.tensor1d(targets, "int32"), logits.shape[1])), 1);
    return tf.neg(tf.mean(picked)) as tf.Scalar;
  });
}
