/**
 * Child process of device-threads.test.ts: `node --import tsx thread-parity-run.ts THREADS`
 * starts wasm on THREADS threads, then prints as JSON the float32 bits of a forward pass
 * (pooled vectors) and of three training steps (losses, then every parameter after them).
 * The wasm thread count is fixed once per process, hence one process per count.
 */
import * as tf from "@tensorflow/tfjs";
import { selectDevice } from "../../src/device/index.js";
import type { TokenBatch } from "../../src/model/batch.js";
import { defaultConfig } from "../../src/model/config.js";
import { pool } from "../../src/model/pooling.js";
import { Transformer } from "../../src/model/transformer.js";
import { AdamW } from "../../src/train/adamw.js";
import { computeGradients } from "../../src/train/gradients.js";
import { optimizerStep } from "../../src/train/optimizer-step.js";
import { Random } from "../../src/util/random.js";

const threads = Number(process.argv[2]);
const info = await selectDevice("wasm", { threads });
tf.env().set("PROD", true);

// Big enough that XNNPACK splits every matmul across the threads: 256 rows of tokens.
const config = defaultConfig({
  vocabSize: 300,
  hiddenSize: 64,
  numHiddenLayers: 2,
  numAttentionHeads: 4,
  intermediateSize: 256,
  maxPositionEmbeddings: 64,
});
const model = Transformer.initialize(config, 7);
const random = new Random(11);
const batchSize = 16;
const length = 16;
const attentionMask = Int32Array.from({ length: batchSize * length }, (_, i) =>
  i % length < length - (i % 5) ? 1 : 0,
);
const batch: TokenBatch = {
  batchSize,
  length,
  inputIds: Int32Array.from({ length: batchSize * length }, (_, i) => (attentionMask[i] ? 1 + random.integer(299) : 0)),
  tokenTypeIds: new Int32Array(batchSize * length),
  attentionMask,
};
const mask = tf.tensor2d(attentionMask, [batchSize, length], "int32");

const bits = (values: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(values).buffer));

const vectors = tf.tidy(() => pool(model.forward(batch), mask, "mean"));
const forward = bits(await vectors.data());
vectors.dispose();

const optimizer = new AdamW({ learningRate: 1e-3, weightDecay: 0.01 });
const losses: number[] = [];
for (let step = 0; step < 3; step++) {
  const gradients = computeGradients(model, new Map([[model.wordEmbeddings, [batch.inputIds]]]), (sparse) =>
    tf.tidy(
      () =>
        tf.mean(tf.square(pool(model.forward(batch, { sparse, training: true, random }), mask, "mean"))) as tf.Scalar,
    ),
  );
  losses.push(optimizerStep(optimizer, model.trainableParameters(), gradients, 1e-3, 1.0).loss);
}
const parameters: Record<string, number[]> = {};
for (const [name, variable] of model.trainableParameters()) parameters[name] = bits(variable.dataSync());
const table = model.wordEmbeddings.toTensor();
parameters["embeddings.word_embeddings.weight"] = bits(table.dataSync());
table.dispose();
process.stdout.write(
  JSON.stringify({ threads: info.threads, notes: info.notes, forward, losses: bits(losses), parameters }),
);
