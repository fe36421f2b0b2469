import * as tf from "@tensorflow/tfjs";
import { inverse, LuDecomposition, Matrix, QrDecomposition } from "ml-matrix";
import { Random } from "../util/random.js";
import { linear } from "./layers.js";

/** HF-style plain configuration of a sentence-vector flow. */
export interface FlowConfig {
  /** Width of the sentence vectors it maps (at least 2). */
  dimension: number;
  /** Number of (ActNorm, 1×1, coupling) steps. */
  steps: number;
  /** Width of the hidden layer of each coupling's network. */
  hiddenSize: number;
  /** Whether each step starts with an ActNorm (default true). */
  actNorm?: boolean;
}

export interface FlowOutput {
  z: tf.Tensor2D; // [batch, dimension]
  logDeterminant: tf.Tensor1D; // [batch], log |det ∂z/∂x|
}

/** Tensors that are saved with the flow but never trained: the LU factorisation's fixed parts. */
const fixed = (name: string) => name.endsWith(".linear.permutation") || name.endsWith(".linear.sign");

/** Every tensor a flow holds, with its shape, under the names it is saved with. */
export function flowTensorShapes(config: FlowConfig): [string, number[]][] {
  const d = config.dimension;
  const half = Math.floor(d / 2);
  const shapes: [string, number[]][] = [];
  for (let k = 0; k < config.steps; k++) {
    const prefix = `steps.${k}`;
    if (config.actNorm ?? true) shapes.push([`${prefix}.act_norm.bias`, [d]], [`${prefix}.act_norm.log_scale`, [d]]);
    shapes.push(
      [`${prefix}.linear.permutation`, [d, d]],
      [`${prefix}.linear.lower`, [d, d]],
      [`${prefix}.linear.upper`, [d, d]],
      [`${prefix}.linear.log_scale`, [d]],
      [`${prefix}.linear.sign`, [d]],
      [`${prefix}.coupling.hidden.weight`, [config.hiddenSize, half]],
      [`${prefix}.coupling.hidden.bias`, [config.hiddenSize]],
      [`${prefix}.coupling.output.weight`, [2 * (d - half), config.hiddenSize]],
      [`${prefix}.coupling.output.bias`, [2 * (d - half)]],
    );
  }
  return shapes;
}

export function checkFlowConfig(config: FlowConfig): void {
  const count = (value: number, least: number) => Number.isInteger(value) && value >= least;
  if (!count(config.dimension, 2)) throw new Error(`flow dimension must be an integer ≥ 2, got ${config.dimension}`);
  if (!count(config.steps, 1)) throw new Error(`flow steps must be an integer ≥ 1, got ${config.steps}`);
  if (!count(config.hiddenSize, 1)) throw new Error(`flow hiddenSize must be an integer ≥ 1, got ${config.hiddenSize}`);
}

/**
 * BERT-flow (Li et al. 2020, "On the Sentence Embeddings from Pre-trained Language Models"):
 * an invertible map from sentence vectors x to z, fitted by maximum likelihood under a
 * standard normal prior, with z as the embedding. Each step is Glow's (Kingma & Dhariwal
 * 2018, "Glow"): ActNorm, an invertible linear map (the 1×1 convolution on a vector)
 * parametrised as W = P L (U + diag(sign · exp(s))), whose log |det| is Σ s, and an affine
 * coupling: the first half passes through and, through a small MLP, sets shift t and
 * scale σ(raw + 2) of the second half.
 */
export class Flow {
  readonly parameters = new Map<string, tf.Variable>();
  private readonly buffers = new Map<string, tf.Tensor>();
  private readonly strictLower: tf.Tensor2D;
  private readonly strictUpper: tf.Tensor2D;

  constructor(
    readonly config: FlowConfig,
    weights: Map<string, tf.Tensor>,
  ) {
    checkFlowConfig(config);
    for (const [name, shape] of flowTensorShapes(config)) {
      const tensor = weights.get(name);
      if (tensor === undefined) throw new Error(`missing tensor ${name}`);
      if (tensor.shape.join() !== shape.join())
        throw new Error(`tensor ${name}: expected shape [${shape.join(", ")}], got [${tensor.shape.join(", ")}]`);
      if (fixed(name)) this.buffers.set(name, tf.keep(tensor.clone()));
      else this.parameters.set(name, tf.variable(tensor, true, undefined, "float32"));
    }
    const d = config.dimension;
    [this.strictLower, this.strictUpper] = tf.tidy(() => {
      const ones = tf.ones([d, d]);
      const eye = tf.eye(d);
      return [
        tf.sub(tf.linalg.bandPart(ones, -1, 0), eye),
        tf.sub(tf.linalg.bandPart(ones, 0, -1), eye),
      ] as tf.Tensor2D[];
    });
  }

  /**
   * A fresh flow, seeded: each linear map a random rotation (LU-factorised, as Glow), each
   * coupling's hidden layer as torch's nn.Linear and its output layer zero, so every coupling
   * starts as a fixed scale σ(2) and no shift. ActNorm starts as the identity; `initializeActNorm`
   * sets it from data.
   */
  static initialize(config: FlowConfig, seed: number): Flow {
    checkFlowConfig(config);
    const random = new Random(seed);
    const d = config.dimension;
    const weights = new Map<string, tf.Tensor>();
    for (const [name, shape] of flowTensorShapes(config)) {
      const size = shape.reduce((a, b) => a * b, 1);
      if (name.endsWith(".linear.permutation")) {
        const rotation = new QrDecomposition(
          Matrix.from1DArray(
            d,
            d,
            Array.from({ length: d * d }, () => random.normal()),
          ),
        ).orthogonalMatrix;
        const lu = new LuDecomposition(rotation);
        // LU = rotation[pivot], so rotation = M L U with M[pivot[i]][i] = 1.
        const permutation = new Float32Array(d * d);
        lu.pivotPermutationVector.forEach((row, column) => {
          permutation[row * d + column] = 1;
        });
        const diagonal = lu.upperTriangularMatrix.diagonal();
        const prefix = name.slice(0, -".permutation".length);
        weights.set(name, tf.tensor2d(permutation, [d, d]));
        weights.set(`${prefix}.lower`, tf.tensor2d(lu.lowerTriangularMatrix.to2DArray()));
        weights.set(`${prefix}.upper`, tf.tensor2d(lu.upperTriangularMatrix.to2DArray()));
        weights.set(`${prefix}.log_scale`, tf.tensor1d(diagonal.map((value) => Math.log(Math.abs(value)))));
        weights.set(`${prefix}.sign`, tf.tensor1d(diagonal.map(Math.sign)));
      } else if (name.includes(".linear.")) {
      } else if (name.includes(".coupling.hidden.")) {
        const bound = 1 / Math.sqrt(Math.floor(d / 2));
        weights.set(
          name,
          tf.tensor(
            Float32Array.from({ length: size }, () => (2 * random.next() - 1) * bound),
            shape,
          ),
        );
      } else {
        weights.set(name, tf.zeros(shape)); // coupling output, ActNorm
      }
    }
    const flow = new Flow(config, weights);
    tf.dispose([...weights.values()]);
    return flow;
  }

  private weight(name: string): tf.Tensor {
    return this.parameters.get(name) ?? this.buffers.get(name)!;
  }

  /** W = P L U of step k, `[dimension, dimension]`, applied as `x Wᵀ`. */
  private linearWeight(k: number): tf.Tensor2D {
    return tf.tidy(() => {
      const at = (part: string) => this.weight(`steps.${k}.linear.${part}`);
      const lower = tf.add(tf.mul(at("lower"), this.strictLower), tf.eye(this.config.dimension));
      // I · v puts v on the diagonal; tf.diag has no gradient.
      const diagonal = tf.mul(tf.eye(this.config.dimension), tf.mul(at("sign"), tf.exp(at("log_scale"))));
      const upper = tf.add(tf.mul(at("upper"), this.strictUpper), diagonal);
      return tf.matMul(at("permutation") as tf.Tensor2D, tf.matMul(lower as tf.Tensor2D, upper as tf.Tensor2D));
    });
  }

  /** Shift `[batch, rest]` and log-scale `[batch, rest]` that the first half sets for the second. */
  private coupling(k: number, first: tf.Tensor2D): { shift: tf.Tensor2D; logScale: tf.Tensor2D } {
    const at = (name: string) => this.weight(`steps.${k}.coupling.${name}`);
    const hidden = tf.relu(linear(first, at("hidden.weight") as tf.Tensor2D, at("hidden.bias") as tf.Tensor1D)); // [batch, hiddenSize]
    const output = linear(hidden, at("output.weight") as tf.Tensor2D, at("output.bias") as tf.Tensor1D) as tf.Tensor2D; // [batch, 2 * rest]
    const rest = this.config.dimension - Math.floor(this.config.dimension / 2);
    const [shift, raw] = tf.split(output, [rest, rest], 1) as [tf.Tensor2D, tf.Tensor2D];
    // log σ(u) = −softplus(−u); tf.logSigmoid's custom gradient keeps its input only by closure,
    // which the caller's tidy disposes before the backward pass.
    return { shift, logScale: tf.neg(tf.softplus(tf.neg(tf.add(raw, 2)))) as tf.Tensor2D };
  }

  /** x `[batch, dimension]` → z and log |det ∂z/∂x| per row; differentiable. */
  forward(x: tf.Tensor2D, untilStep = this.config.steps): FlowOutput {
    return tf.tidy(() => {
      const half = Math.floor(this.config.dimension / 2);
      let h: tf.Tensor = x;
      let logDeterminant: tf.Tensor = tf.zeros([x.shape[0]]);
      for (let k = 0; k < untilStep; k++) {
        if (this.config.actNorm ?? true) {
          const logScale = this.weight(`steps.${k}.act_norm.log_scale`);
          h = tf.mul(tf.add(h, this.weight(`steps.${k}.act_norm.bias`)), tf.exp(logScale));
          logDeterminant = tf.add(logDeterminant, tf.sum(logScale));
        }
        h = tf.matMul(h, this.linearWeight(k), false, true);
        logDeterminant = tf.add(logDeterminant, tf.sum(this.weight(`steps.${k}.linear.log_scale`)));
        const [first, second] = tf.split(h, [half, this.config.dimension - half], 1) as [tf.Tensor2D, tf.Tensor2D];
        const { shift, logScale } = this.coupling(k, first);
        h = tf.concat([first, tf.mul(tf.add(second, shift), tf.exp(logScale))], 1);
        logDeterminant = tf.add(logDeterminant, tf.sum(logScale, 1));
      }
      return { z: h as tf.Tensor2D, logDeterminant: logDeterminant as tf.Tensor1D };
    });
  }

  /** z → x, the exact inverse of `forward` (the linear maps inverted in float64); not for training. */
  inverse(z: tf.Tensor2D): tf.Tensor2D {
    const inverses = Array.from({ length: this.config.steps }, (_, k) => {
      const weight = this.linearWeight(k);
      const values = inverse(new Matrix(weight.arraySync())).to2DArray();
      weight.dispose();
      return values;
    });
    return tf.tidy(() => {
      const half = Math.floor(this.config.dimension / 2);
      let h: tf.Tensor = z;
      for (let k = this.config.steps - 1; k >= 0; k--) {
        const [first, second] = tf.split(h, [half, this.config.dimension - half], 1) as [tf.Tensor2D, tf.Tensor2D];
        const { shift, logScale } = this.coupling(k, first);
        h = tf.concat([first, tf.sub(tf.mul(second, tf.exp(tf.neg(logScale))), shift)], 1);
        h = tf.matMul(h, tf.tensor2d(inverses[k]!), false, true);
        if (this.config.actNorm ?? true) {
          h = tf.sub(
            tf.mul(h, tf.exp(tf.neg(this.weight(`steps.${k}.act_norm.log_scale`)))),
            this.weight(`steps.${k}.act_norm.bias`),
          );
        }
      }
      return h as tf.Tensor2D;
    });
  }

  /** Mean negative log-likelihood per vector in nats: −log N(z; 0, I) − log |det ∂z/∂x|. */
  negativeLogLikelihood(x: tf.Tensor2D): tf.Scalar {
    return tf.tidy(() => {
      const { z, logDeterminant } = this.forward(x);
      const prior = tf.add(tf.mul(tf.sum(tf.square(z), 1), 0.5), 0.5 * this.config.dimension * Math.log(2 * Math.PI)); // [batch]
      return tf.mean(tf.sub(prior, logDeterminant)) as tf.Scalar;
    });
  }

  /**
   * Glow's data-dependent ActNorm initialisation: step by step, set each ActNorm so that what
   * reaches it from `x` comes out with zero mean and unit variance per dimension.
   */
  initializeActNorm(x: tf.Tensor2D): void {
    if (!(this.config.actNorm ?? true)) return;
    for (let k = 0; k < this.config.steps; k++) {
      tf.tidy(() => {
        const { mean, variance } = tf.moments(k === 0 ? x : this.forward(x, k).z, 0);
        this.parameters.get(`steps.${k}.act_norm.bias`)!.assign(tf.neg(mean) as tf.Tensor1D);
        this.parameters
          .get(`steps.${k}.act_norm.log_scale`)!
          .assign(tf.neg(tf.log(tf.add(tf.sqrt(variance), 1e-6))) as tf.Tensor1D);
      });
    }
  }

  /** The latent z of each vector: BERT-flow's sentence embedding. */
  async embed(vectors: ArrayLike<number>[]): Promise<Float32Array[]> {
    const dimension = this.config.dimension;
    const input = tf.tensor2d(
      vectors.map((vector) => Array.from(vector)),
      [vectors.length, dimension],
    );
    const { z, logDeterminant } = this.forward(input);
    const values = (await z.data()) as Float32Array;
    tf.dispose([input, z, logDeterminant]);
    return Array.from({ length: vectors.length }, (_, row) => values.slice(row * dimension, (row + 1) * dimension));
  }

  /** Trainable parameters (the `Trainable` shape of `train/`); the flow has no sparse tables. */
  trainableParameters(): Map<string, tf.Variable> {
    return this.parameters;
  }

  sparseTables(): [] {
    return [];
  }

  /** Every tensor by its saved name, trained or fixed; not copies, do not dispose. */
  tensors(): Map<string, tf.Tensor> {
    return new Map<string, tf.Tensor>([...this.parameters, ...this.buffers]);
  }

  dispose(): void {
    tf.dispose([...this.parameters.values(), ...this.buffers.values(), this.strictLower, this.strictUpper]);
  }
}
