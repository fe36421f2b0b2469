import * as tf from "@tensorflow/tfjs";
import { Random } from "../util/random.js";
import { linear } from "./layers.js";

export type DenseActivation = "identity" | "tanh";

/** sentence-transformers' `Dense` module: `activation(x W^T + b)`, weights `[out, in]`. */
export class Dense {
  readonly weight: tf.Variable;
  readonly bias?: tf.Variable;

  constructor(
    weight: tf.Tensor2D,
    bias: tf.Tensor1D | undefined,
    readonly activation: DenseActivation,
  ) {
    this.weight = tf.variable(weight, true);
    this.bias = bias === undefined ? undefined : tf.variable(bias, true);
  }

  /** A fresh layer as torch's nn.Linear draws it: weight and bias uniform in ±1/√in; seeded, so every backend gets the same. */
  static initialize(inFeatures: number, outFeatures: number, activation: DenseActivation, seed: number): Dense {
    const random = new Random(seed);
    const bound = 1 / Math.sqrt(inFeatures);
    const draw = (size: number) => Float32Array.from({ length: size }, () => (2 * random.next() - 1) * bound);
    const weight = tf.tensor2d(draw(outFeatures * inFeatures), [outFeatures, inFeatures]);
    const bias = tf.tensor1d(draw(outFeatures));
    const dense = new Dense(weight, bias, activation);
    tf.dispose([weight, bias]);
    return dense;
  }

  get inFeatures(): number {
    return this.weight.shape[1]!;
  }

  get outFeatures(): number {
    return this.weight.shape[0]!;
  }

  forward(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const y = linear(x, this.weight as tf.Tensor2D, this.bias as tf.Tensor1D | undefined);
      return (this.activation === "tanh" ? tf.tanh(y) : y) as tf.Tensor2D;
    });
  }

  parameters(): Map<string, tf.Variable> {
    const parameters = new Map([["linear.weight", this.weight]]);
    if (this.bias) parameters.set("linear.bias", this.bias);
    return parameters;
  }

  dispose(): void {
    this.weight.dispose();
    this.bias?.dispose();
  }
}
