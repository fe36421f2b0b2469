import * as tf from "@tensorflow/tfjs";
import { Transformer } from "./transformer.js";

const layerName = /^encoder\.layer\.(\d+)\.(.*)$/;

/**
 * Progressive stacking (Gong et al. 2019, "Efficient Training of BERT by Progressively
 * Stacking"), as LaBSE trains its encoder (Feng et al. 2020): a shallow model is
 * trained, then grown by stacking copies of its trained layers on top, and training goes on.
 * New layer `i` (for `i ≥ L`) starts as a copy of trained layer `i mod L`, so doubling puts
 * the whole trained stack `[0, L)` again at `[L, 2L)`. Embeddings, pooler and the remaining
 * layers are copied as they are. The result owns new variables; `model` is left untouched,
 * and the caller disposes both. Optimizer moments do not carry over (the parameters are new).
 */
export function growTransformer(model: Transformer, newLayerCount: number): Transformer {
  const layers = model.config.numHiddenLayers;
  if (!Number.isInteger(newLayerCount) || newLayerCount <= layers) {
    throw new Error(
      `growTransformer: the new layer count must be an integer above the current ${layers}, got ${newLayerCount}`,
    );
  }
  const trained = model.namedTensors();
  const weights = new Map<string, tf.Tensor>();
  for (const [name, tensor] of trained) {
    const match = layerName.exec(name);
    if (match === null) {
      weights.set(name, tensor);
      continue;
    }
    const [, index, rest] = match;
    // Every copy of a trained layer is read from the same tensor; the constructor copies it into new variables.
    for (let layer = Number(index); layer < newLayerCount; layer += layers)
      weights.set(`encoder.layer.${layer}.${rest}`, tensor);
  }
  try {
    return new Transformer({ ...model.config, numHiddenLayers: newLayerCount }, weights);
  } finally {
    tf.dispose([...trained.values()]);
  }
}

/**
 * Layer counts of the stages of progressive stacking ending at `totalLayers`, each doubling
 * the one before: `stackingSchedule(12, 3)` is `[3, 6, 12]`, LaBSE's L/4 → L/2 → L.
 */
export function stackingSchedule(totalLayers: number, stages = 3): number[] {
  if (!Number.isInteger(stages) || stages < 1)
    throw new Error(`stackingSchedule: stages must be a positive integer, got ${stages}`);
  const first = totalLayers / 2 ** (stages - 1);
  if (!Number.isInteger(first) || first < 1) {
    throw new Error(`stackingSchedule: ${totalLayers} layers cannot be halved ${stages - 1} times into whole layers`);
  }
  return Array.from({ length: stages }, (_, stage) => first * 2 ** stage);
}
