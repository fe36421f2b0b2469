/**
 * `npm run bench [-- --device D] [-- --threads N] [-- --quick] [-- --compare-torch] [-- --tfjs-kernels] [-- --memory | --tables | --encode]`:
 * throughput of the encoder on the chosen backend as JSON on stdout, each figure with the engine
 * and thread count it ran on: encode sentences/s, train steps/s (forward + backward + AdamW), the
 * the same on the ONNX engine (onnxruntime-node; `encodeOnnx`), the
 * backend's own measured matmul GFLOP/s, and the share of that roofline each reaches; the peak
 * memory growth of a training step on the benchmark's vocabulary and on a 250,000 × 256 table,
 * and vocabulary training. `--compare-torch` runs the same configuration in PyTorch on as many
 * threads and adds its figures and babelbed's ratio to them. `--tfjs-kernels` switches babelbed's
 * SIMD matmul and transpose kernels off on wasm, to measure what they bring.
 */
import { availableParallelism } from "node:os";
import { medianSeconds } from "./timing.js";
import * as tf from "@tensorflow/tfjs";
import { selectDevice, useSimdKernels } from "../src/device/index.js";
import { EmbeddingTable } from "../src/model/embedding.js";
import { pool } from "../src/model/pooling.js";
import { Transformer } from "../src/model/transformer.js";
import type { TokenBatch } from "../src/model/batch.js";
import { benchmarkVocabTraining } from "../src/text/index.js";
import { AdamW } from "../src/train/adamw.js";
import { computeGradients, disposeGradients } from "../src/train/gradients.js";
import { Random } from "../src/util/random.js";
import { torchFigures, type TorchFigures } from "./compare-torch.js";
import { benchBatch, config, shape } from "./configuration.js";
import { meterWasmHeap } from "./heap-meter.js";
import { onnxEncodeFigures } from "./onnx-encode.js";

const args = process.argv.slice(2);
const flagValue = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
const device = (flagValue("--device") ?? "auto") as "auto";
const threads = flagValue("--threads") === undefined ? undefined : Number(flagValue("--threads"));
const quick = args.includes("--quick");
const compareTorch = args.includes("--compare-torch");
const simdKernels = !args.includes("--tfjs-kernels");
useSimdKernels(simdKernels);
// Only the step-memory measurement (and the time of those steps): the optimizer's figures without the rest.
const memoryOnly = args.includes("--memory");
// Only the optimizer on a 500,000-row table, exact against lazy.
const tablesOnly = args.includes("--tables");
// Only the encode figures: tfjs and the ONNX engine.
const encodeOnly = args.includes("--encode");
const log = (line: string) => process.stderr.write(`${line}\n`);

/** GFLOP/s of `[m, k] × [k, n]`, the matmul shapes the encoder itself runs. */
async function matmulRate(m: number, k: number, n: number): Promise<number> {
  const a = tf.randomNormal([m, k]);
  const b = tf.randomNormal([n, k]);
  const seconds = await medianSeconds(
    async () => {
      const c = tf.matMul(a, b, false, true);
      await c.data();
      c.dispose();
    },
    3,
    quick ? 5 : 15,
  );
  tf.dispose([a, b]);
  return (2 * m * k * n) / seconds / 1e9;
}

/** Multiply-adds ×2 of one sentence's forward pass: projections, feed-forward and attention. */
function forwardFlopsPerSentence(): number {
  const { hidden: h, intermediate: i, tokens: s, layers } = shape;
  const projections = 4 * 2 * s * h * h;
  const feedForward = 2 * 2 * s * h * i;
  const attention = 2 * 2 * s * s * h;
  return layers * (projections + feedForward + attention);
}

/**
 * Peak memory of a training step, measured by tfjs' own profiler, on the benchmark's vocabulary and
 * on a LaBSE/XLM-R sized one: with row-sparse updates the two peaks differ by far less than a table.
 * A few steps run first, so the profiled step finds rows left behind by earlier steps (the optimizer
 * catches those up), and the profiled step is timed on its own.
 */
async function stepMemory(model: Transformer, batch: TokenBatch, mask: tf.Tensor2D, random: Random) {
  const warmSteps = 4;
  const peakGrowth = async (vocab: number) => {
    const values = tf.randomNormal([vocab, shape.hidden], 0, 0.02, "float32", 1) as tf.Tensor2D;
    const table = EmbeddingTable.fromTensor("embeddings.word_embeddings.weight", values);
    values.dispose();
    const original = model.wordEmbeddings;
    (model as { wordEmbeddings: EmbeddingTable }).wordEmbeddings = table;
    const stepOptimizer = new AdamW({ learningRate: 1e-4 });
    const profiledStep = () => {
      const ids = { ...batch, inputIds: Int32Array.from(batch.inputIds, () => random.integer(vocab)) };
      const gradients = computeGradients(model, new Map([[table, [ids.inputIds]]]), (sparse) =>
        tf.tidy(() => tf.mean(tf.square(pool(model.forward(ids, { sparse }), mask, "mean"))) as tf.Scalar),
      );
      stepOptimizer.apply(model.trainableParameters(), gradients);
      disposeGradients(gradients);
    };
    // Metered from before the warm steps: the measured step frees buffers they allocated (replaced
    // weights and table blocks), and the meter can subtract only frees of allocations it saw.
    const meter = meterWasmHeap();
    for (let i = 0; i < warmSteps; i++) profiledStep(); // creates the optimizer's moments, leaves rows behind
    const heapResident = meter?.current() ?? 0;
    meter?.resetPeak();
    profiledStep();
    const heapPeakGrowthBytes = meter === undefined ? undefined : meter.peak() - heapResident;
    meter?.stop();
    const resident = tf.memory().numBytes;
    const started = performance.now();
    const profile = await tf.profile(profiledStep);
    const stepSeconds = (performance.now() - started) / 1000;
    stepOptimizer.dispose();
    table.dispose();
    (model as { wordEmbeddings: EmbeddingTable }).wordEmbeddings = original;
    return {
      vocab,
      tableBytes: vocab * shape.hidden * 4,
      residentBytes: resident,
      stepPeakGrowthBytes: profile.peakBytes - resident,
      heapPeakGrowthBytes,
      stepSeconds,
    };
  };
  const smallVocabulary = await peakGrowth(shape.vocab);
  const largeVocabulary = await peakGrowth(250_000);
  log(
    `step peak growth: ${(smallVocabulary.stepPeakGrowthBytes / 1e6).toFixed(1)} MB at ${shape.vocab} rows, ${(largeVocabulary.stepPeakGrowthBytes / 1e6).toFixed(1)} MB at 250000 rows`,
  );
  return {
    smallVocabulary,
    largeVocabulary,
    peakGrowthDifferenceBytes: largeVocabulary.stepPeakGrowthBytes - smallVocabulary.stepPeakGrowthBytes,
    note: "step peak growth = activations + gradients of one step; a dense embedding gradient would add at least one table (256 MB) at 250000 rows",
  };
}

/**
 * The optimizer alone on a LaBSE-sized table (500,000 × 128, as `recipes/labse.yaml`'s hidden size):
 * steps whose 2,048 ids follow a Zipf law (frequent rows recur, rare ones rest for hundreds of
 * steps), exact against lazy: milliseconds per step and the step's peak memory growth.
 */
async function tableSteps(random: Random) {
  const rows = 500_000;
  const width = 128;
  const steps = quick ? 30 : 200;
  const zipf = () => Math.min(rows - 1, Math.floor(Math.exp(random.next() * Math.log(rows)) - 1));
  const measure = async (embeddings: "exact" | "lazy") => {
    const values = tf.randomNormal([rows, width], 0, 0.02, "float32", 2) as tf.Tensor2D;
    const table = EmbeddingTable.fromTensor("embeddings.word_embeddings.weight", values);
    values.dispose();
    const optimizer = new AdamW({ learningRate: 2e-3, embeddings });
    const step = () => {
      const ids = Int32Array.from(new Set(Array.from({ length: 2048 }, zipf))).sort();
      const gradients = computeGradients(
        { trainableParameters: () => new Map(), sparseTables: () => [table] },
        new Map([[table, [ids]]]),
        (sparse) => tf.tidy(() => tf.sum(tf.square(sparse.get(table)!.variable)) as tf.Scalar),
      );
      optimizer.apply(new Map(), gradients, 2e-3);
      disposeGradients(gradients);
    };
    const started = performance.now();
    for (let i = 0; i < steps; i++) step();
    const millisecondsPerStep = (performance.now() - started) / steps;
    const resident = tf.memory().numBytes;
    const profile = await tf.profile(step);
    const flushStarted = performance.now();
    table.toTensor().dispose(); // an export or evaluation: every resting row caught up
    const fullCatchUpSeconds = (performance.now() - flushStarted) / 1000;
    optimizer.dispose();
    table.dispose();
    return { millisecondsPerStep, stepPeakGrowthBytes: profile.peakBytes - resident, fullCatchUpSeconds };
  };
  const result = { rows, width, steps, exact: await measure("exact"), lazy: await measure("lazy") };
  log(
    `500000-row table: exact ${result.exact.millisecondsPerStep.toFixed(0)} ms/step, lazy ${result.lazy.millisecondsPerStep.toFixed(0)} ms/step`,
  );
  return result;
}

async function main(): Promise<void> {
  const chosen = await selectDevice(device, { log, threads });
  // Every figure says where it ran: "wasm, 2 threads".
  const kernels =
    chosen.backend === "wasm" ? (simdKernels ? ", babelbed SIMD kernels" : ", without babelbed SIMD kernels") : "";
  const ranOn = { engine: `${chosen.device} (tfjs backend "${chosen.backend}"${kernels})`, threads: chosen.threads };
  const random = new Random(1);
  const tokens = shape.batch * shape.tokens;
  if (tablesOnly) {
    process.stdout.write(
      `${JSON.stringify({ backend: chosen.backend, optimizerOnly: await tableSteps(random) }, null, 2)}\n`,
    );
    return;
  }
  if (memoryOnly) {
    const model = Transformer.initialize(config, 1);
    const batch = benchBatch(random);
    const mask = tf.tensor2d(batch.attentionMask, [shape.batch, shape.tokens], "int32");
    const sparseEmbedding = await stepMemory(model, batch, mask, random);
    model.dispose();
    mask.dispose();
    const optimizerOnly = await tableSteps(random);
    process.stdout.write(
      `${JSON.stringify(
        {
          backend: chosen.backend,
          device: chosen.device,
          threads: chosen.threads,
          config: shape,
          sparseEmbedding,
          optimizerOnly,
        },
        null,
        2,
      )}\n`,
    );
    return;
  }
  const matmul = {
    feedForward: await matmulRate(tokens, shape.hidden, shape.intermediate),
    projection: await matmulRate(tokens, shape.hidden, shape.hidden),
  };
  const roofline = Math.max(matmul.feedForward, matmul.projection);
  log(`matmul roofline ${roofline.toFixed(1)} GFLOP/s`);

  const model = Transformer.initialize(config, 1);
  const batch = benchBatch(random);
  const mask = tf.tensor2d(batch.attentionMask, [shape.batch, shape.tokens], "int32");
  const encodeSeconds = await medianSeconds(
    async () => {
      const vectors = tf.tidy(() => pool(model.forward(batch), mask, "mean"));
      await vectors.data();
      vectors.dispose();
    },
    2,
    quick ? 3 : 10,
  );
  const encodeRate = shape.batch / encodeSeconds;
  log(`encode ${encodeRate.toFixed(1)} sentences/s on ${ranOn.engine}, ${ranOn.threads ?? "native"} thread(s)`);
  const onnxThreads = chosen.threads ?? availableParallelism();
  const encodeOnnx = await onnxEncodeFigures(model, batch, onnxThreads, encodeRate, quick ? 3 : 10);
  if ("unavailable" in encodeOnnx) log(`encode on onnx: ${encodeOnnx.unavailable}`);
  else {
    log(
      `encode ${encodeOnnx.sentencesPerSecond.toFixed(1)} sentences/s on ${encodeOnnx.engine}, ${onnxThreads} thread(s) (${encodeOnnx.sentencesPerSecondOneThread.toFixed(1)} on 1); rebuild ${encodeOnnx.rebuildSeconds.toFixed(2)} s`,
    );
  }
  if (encodeOnly) {
    const encode = { sentencesPerSecond: encodeRate, ...ranOn };
    process.stdout.write(`${JSON.stringify({ config: shape, encode, encodeOnnx }, null, 2)}\n`);
    model.dispose();
    mask.dispose();
    return;
  }

  const optimizer = new AdamW({ learningRate: 1e-4 });
  const step = async () => {
    const gradients = computeGradients(model, new Map([[model.wordEmbeddings, [batch.inputIds]]]), (sparse) =>
      tf.tidy(
        () =>
          tf.mean(tf.square(pool(model.forward(batch, { sparse, training: true, random }), mask, "mean"))) as tf.Scalar,
      ),
    );
    optimizer.apply(model.trainableParameters(), gradients);
    await gradients.loss.data();
    disposeGradients(gradients);
  };
  const trainSeconds = await medianSeconds(step, 2, quick ? 3 : 8);
  log(`train ${(1 / trainSeconds).toFixed(2)} steps/s on ${ranOn.engine}, ${ranOn.threads ?? "native"} thread(s)`);
  optimizer.dispose();

  const sparseEmbedding = await stepMemory(model, batch, mask, random);
  const { smallVocabulary } = sparseEmbedding;
  const heapGrowth =
    smallVocabulary.heapPeakGrowthBytes === undefined
      ? ""
      : `, wasm heap ${(smallVocabulary.heapPeakGrowthBytes / 1e6).toFixed(1)} MB`;
  log(
    `step peak growth at ${shape.vocab} rows: ${(smallVocabulary.stepPeakGrowthBytes / 1e6).toFixed(1)} MB as tfjs counts${heapGrowth}`,
  );
  model.dispose();
  mask.dispose();

  const vocabulary = quick ? undefined : await benchmarkVocabTraining();
  let torch: (TorchFigures & { ratio: { encode: number; encodeOnnx?: number; train: number } }) | undefined;
  if (compareTorch) {
    const figures = torchFigures(shape, chosen.threads ?? availableParallelism(), quick);
    // encodeOnnx is the engine `encode`, `evaluate` and teacher vectors use by default.
    const ratio = {
      encode: encodeRate / figures.encode.sentencesPerSecond,
      ...("unavailable" in encodeOnnx
        ? {}
        : { encodeOnnx: encodeOnnx.sentencesPerSecond / figures.encode.sentencesPerSecond }),
      train: 1 / trainSeconds / figures.train.stepsPerSecond,
    };
    torch = { ...figures, ratio };
    log(
      `${figures.engine}, ${figures.threads} thread(s): encode ${figures.encode.sentencesPerSecond.toFixed(1)} sentences/s, train ${figures.train.stepsPerSecond.toFixed(2)} steps/s`,
    );
    const onnxRatio = ratio.encodeOnnx === undefined ? "" : `, encode on onnx ${ratio.encodeOnnx.toFixed(2)}x`;
    log(`babelbed / PyTorch: encode on tfjs ${ratio.encode.toFixed(2)}x${onnxRatio}, train ${ratio.train.toFixed(2)}x`);
  }
  const forwardFlops = forwardFlopsPerSentence();
  const encodeGflops = (encodeRate * forwardFlops) / 1e9;
  const trainGflops = (3 * forwardFlops * shape.batch) / trainSeconds / 1e9;
  const report = {
    backend: chosen.backend,
    device: chosen.device,
    threads: chosen.threads,
    config: shape,
    matmulGflops: { ...matmul, roofline, ...ranOn },
    encode: { sentencesPerSecond: encodeRate, gflops: encodeGflops, rooflineShare: encodeGflops / roofline, ...ranOn },
    encodeOnnx,
    train: {
      stepsPerSecond: 1 / trainSeconds,
      sentencesPerSecond: shape.batch / trainSeconds,
      gflops: trainGflops,
      rooflineShare: trainGflops / roofline,
      ...ranOn,
    },
    stepPeakGrowth: {
      megabytes: smallVocabulary.stepPeakGrowthBytes / 1e6,
      heapMegabytes:
        smallVocabulary.heapPeakGrowthBytes === undefined ? undefined : smallVocabulary.heapPeakGrowthBytes / 1e6,
      note: "megabytes: tfjs' count (tf.profile), which adds a shared buffer once per tensor viewing it; heapMegabytes: the wasm heap's malloc/free",
      ...ranOn,
    },
    torch,
    sparseEmbedding: { ...ranOn, ...sparseEmbedding },
    vocabularyTraining: vocabulary,
    notes: "FLOPs count matmuls only (projections, feed-forward, attention); training counts 3x the forward pass.",
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

await main();
