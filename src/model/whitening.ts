import { Matrix, SingularValueDecomposition } from "ml-matrix";
import * as tf from "@tensorflow/tfjs";
import { Dense } from "./dense.js";

export interface WhiteningOptions {
  /**
   * Keep the first k principal components (the paper's dimensionality reduction). Default: every
   * component whose variance is above 1e-8 of the largest; mean pooling of LayerNorm outputs
   * leaves one direction of (numerically) zero variance, which whitening cannot scale to one.
   */
  dimensions?: number;
}

/**
 * A fitted whitening as the parameters of sentence-transformers' `Dense` with the identity
 * activation: `y = x Wᵀ_dense + b` with `W_dense = Wᵀ` and `b = −μW`, which is `(x − μ) W`.
 * The field names match `io/`'s `DenseSpec`, so the fit spreads into one.
 */
export interface WhiteningFit {
  inFeatures: number;
  outFeatures: number;
  /** Row-major `[outFeatures, inFeatures]`, as torch.nn.Linear stores it: Wᵀ. */
  weight: Float32Array;
  /** `[outFeatures]`: −μW. */
  biasValues: Float32Array;
  /** μ `[inFeatures]`, float64. */
  mean: Float64Array;
  /** The covariance's eigenvalues, largest first, all of them (the kept ones are the first `outFeatures`). */
  eigenvalues: number[];
}

/**
 * BERT-whitening (Su et al. 2021, "Whitening Sentence Representations for Better Semantics
 * and Faster Retrieval", Algorithm 1): μ is the mean vector, Σ = U Λ Uᵀ the covariance (with
 * n − 1, as the authors' `np.cov`), and W = U Λ^(−1/2), so `(x − μ) W` has zero mean and
 * identity covariance on the fitting vectors; keeping the first k columns of W keeps the k
 * directions of largest variance. Computed in float64 with ml-matrix's SVD (tfjs has none).
 */
export function fitWhitening(vectors: ArrayLike<number>[], options: WhiteningOptions = {}): WhiteningFit {
  const count = vectors.length;
  const dimension = vectors[0]?.length ?? 0;
  if (count < 2 || dimension === 0)
    throw new Error(`whitening needs at least 2 non-empty vectors, got ${count} of dimension ${dimension}`);
  const wanted = options.dimensions;
  if (wanted !== undefined && (!Number.isInteger(wanted) || wanted < 1 || wanted > dimension)) {
    throw new Error(
      `whitening dimensions must be an integer from 1 to the vectors' dimension ${dimension}, got ${wanted}`,
    );
  }
  const mean = new Float64Array(dimension);
  vectors.forEach((vector, row) => {
    if (vector.length !== dimension)
      throw new Error(`vector ${row} has dimension ${vector.length}, expected ${dimension}`);
    for (let j = 0; j < dimension; j++) mean[j] += vector[j]!;
  });
  for (let j = 0; j < dimension; j++) mean[j] /= count;
  const centred = new Matrix(count, dimension); // [n, d]
  vectors.forEach((vector, row) => {
    for (let j = 0; j < dimension; j++) centred.set(row, j, vector[j]! - mean[j]!);
  });
  const covariance = centred
    .transpose()
    .mmul(centred)
    .div(count - 1); // [d, d]
  const svd = new SingularValueDecomposition(covariance, { autoTranspose: false });
  const eigenvalues = svd.diagonal; // descending
  // Below this a direction holds rounding noise, which W would blow up to unit variance.
  const floor = 1e-8 * Math.max(eigenvalues[0]!, Number.MIN_VALUE);
  const kept = wanted ?? Math.max(1, eigenvalues.filter((value) => value > floor).length);
  if (!(eigenvalues[kept - 1]! > floor)) {
    throw new Error(
      `whitening: the vectors span fewer than ${kept} dimensions (eigenvalue ${kept} of the covariance is ${eigenvalues[kept - 1]}); ` +
        `fit on more, and more varied, sentences than the ${dimension} dimensions, or keep fewer dimensions`,
    );
  }
  const basis = svd.leftSingularVectors; // U [d, d], columns = principal directions
  const weight = new Float32Array(kept * dimension); // Wᵀ [k, d]
  const bias = new Float32Array(kept); // −μW [k]
  for (let component = 0; component < kept; component++) {
    const inverseRoot = 1 / Math.sqrt(eigenvalues[component]!);
    let shift = 0;
    for (let j = 0; j < dimension; j++) {
      const w = basis.get(j, component) * inverseRoot;
      weight[component * dimension + j] = w;
      shift += mean[j]! * w;
    }
    bias[component] = -shift;
  }
  return { inFeatures: dimension, outFeatures: kept, weight, biasValues: bias, mean, eigenvalues };
}

/** The fit as a model `Dense` layer (identity activation), to append to an encoder's modules. */
export function whiteningDense(fit: WhiteningFit): Dense {
  const weight = tf.tensor2d(fit.weight, [fit.outFeatures, fit.inFeatures]);
  const bias = tf.tensor1d(fit.biasValues);
  const dense = new Dense(weight, bias, "identity");
  tf.dispose([weight, bias]);
  return dense;
}
