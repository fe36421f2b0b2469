import * as tf from "@tensorflow/tfjs";
import type { Flow } from "../model/flow.js";
import { Random } from "../util/random.js";
import { AdamW } from "./adamw.js";
import { clipGlobalNorm } from "./clip.js";
import { computeGradients, disposeGradients } from "./gradients.js";

export interface FlowFittingOptions {
  epochs: number;
  batchSize: number;
  /** BERT-flow used 1e-3 with Adam. */
  learningRate?: number;
  seed: number;
  /** Clip the gradients' global norm (default 1; 0 turns clipping off). */
  maxGradNorm?: number;
  /** Called after each step with its mean negative log-likelihood per vector (nats). */
  onStep?: (step: number, loss: number) => void;
}

export interface FlowFittingResult {
  steps: number;
  /** Negative log-likelihood per vector over all the data, before and after fitting (nats). */
  initialNll: number;
  finalNll: number;
}

/**
 * Fits a BERT-flow (Li et al. 2020, §4) by maximum likelihood on fixed sentence vectors: the
 * encoder is not trained, only the flow; ActNorm is first set from the data (Glow), then Adam
 * (AdamW without decay) on shuffled batches. The order of batches is a function of the seed.
 */
export function fitFlow(flow: Flow, vectors: ArrayLike<number>[], options: FlowFittingOptions): FlowFittingResult {
  const count = vectors.length;
  const dimension = flow.config.dimension;
  if (count < options.batchSize)
    throw new Error(`flow fitting: ${count} vectors are fewer than one batch of ${options.batchSize}`);
  const data = new Float32Array(count * dimension);
  vectors.forEach((vector, row) => {
    if (vector.length !== dimension)
      throw new Error(`flow fitting: vector ${row} has dimension ${vector.length}, the flow ${dimension}`);
    data.set(Array.from(vector), row * dimension);
  });
  const all = tf.tensor2d(data, [count, dimension]);
  const everyNll = () => tf.tidy(() => flow.negativeLogLikelihood(all).dataSync()[0]!);
  flow.initializeActNorm(all);
  const initialNll = everyNll();
  const optimizer = new AdamW({ learningRate: options.learningRate ?? 1e-3, weightDecay: 0, epsilon: 1e-8 });
  const random = new Random(options.seed);
  let step = 0;
  try {
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      const order = random.shuffle([...Array(count).keys()]);
      for (let start = 0; start + options.batchSize <= count; start += options.batchSize) {
        const rows = tf.tensor1d(order.slice(start, start + options.batchSize), "int32");
        const batch = tf.gather(all, rows) as tf.Tensor2D; // [batchSize, dimension]
        const gradients = computeGradients(flow, new Map(), () => flow.negativeLogLikelihood(batch));
        const loss = gradients.loss.dataSync()[0]!;
        if (!Number.isFinite(loss)) {
          disposeGradients(gradients);
          tf.dispose([rows, batch]);
          throw new Error(
            `flow fitting: the negative log-likelihood is ${loss} at step ${step + 1}; lower the learning rate`,
          );
        }
        if ((options.maxGradNorm ?? 1) > 0) clipGlobalNorm(gradients, options.maxGradNorm ?? 1);
        optimizer.apply(flow.trainableParameters(), gradients);
        disposeGradients(gradients);
        tf.dispose([rows, batch]);
        step += 1;
        options.onStep?.(step, loss);
      }
    }
    return { steps: step, initialNll, finalNll: everyNll() };
  } finally {
    optimizer.dispose();
    all.dispose();
  }
}
