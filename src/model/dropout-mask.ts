import * as tf from "@tensorflow/tfjs";

/** The murmur3 finaliser: every input bit reaches every output bit. */
function mix(value: number): number {
  let x = value | 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * Inverted dropout's multiplier for a seed: `1/(1 − rate)` (rounded to float32, as torch's
 * scale) where a unit is kept, with probability `1 − rate`, and 0 where it is dropped.
 *
 * The uniform values come from a counter hashed by the murmur3 finaliser (a Weyl sequence
 * started at the hashed seed, as SplitMix), written straight into the mask. tfjs'
 * `randomUniform` runs seedrandom's alea in JavaScript, then `add`, `floor` and `div` ran as
 * three more kernels: about 18 ms per million units, a tenth of a bench training step. The
 * mask depends on the seed and the size only, so it is the same on every backend.
 */
export function dropoutMultiplier(shape: number[], rate: number, seed: number): tf.Tensor {
  if (!(rate >= 0 && rate < 1)) throw new Error(`dropout rate must be in [0, 1), got ${rate}`);
  const scale = Math.fround(1 / Math.fround(1 - rate));
  // Kept when the 32-bit value, read as u in [0, 1), is at least the rate.
  const threshold = Math.ceil(rate * 2 ** 32);
  const values = new Float32Array(tf.util.sizeFromShape(shape));
  let counter = mix(seed ^ 0x5bd1e995);
  for (let index = 0; index < values.length; index++) {
    counter = (counter + 0x9e3779b9) | 0;
    values[index] = mix(counter) >= threshold ? scale : 0;
  }
  return tf.tensor(values, shape, "float32");
}
