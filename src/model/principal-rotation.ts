import type { Dense } from "./dense.js";
import { fitWhitening, whiteningDense } from "./whitening.js";

/**
 * Centre the vectors and rotate them onto their principal axes of non-zero variance, without
 * scaling. Mean-pooled post-LayerNorm vectors lie in a hyperplane (LayerNorm's output sums to a
 * fixed value), and a density on a hyperplane has no bound: the flow's NLL falls forever by
 * squeezing that one direction. Dropping it (d → d − 1) is all the flow needs; scaling each axis
 * to unit variance as well would be whitening, and then the flow's effect could not be told
 * apart from the whiten step's; the flow's first ActNorm sets its own scales from the data.
 */
export function principalRotation(vectors: Float32Array[]): Dense {
  const fit = fitWhitening(vectors);
  const weight = new Float32Array(fit.weight.length);
  const bias = new Float32Array(fit.outFeatures);
  for (let component = 0; component < fit.outFeatures; component++) {
    const root = Math.sqrt(fit.eigenvalues[component]!); // undoes Λ^(−1/2): the row is the unit principal direction
    for (let j = 0; j < fit.inFeatures; j++)
      weight[component * fit.inFeatures + j] = fit.weight[component * fit.inFeatures + j]! * root;
    bias[component] = fit.biasValues[component]! * root;
  }
  return whiteningDense({ ...fit, weight, biasValues: bias });
}
