/**
 * `node --import tsx bench/labse-step.ts --embeddings exact|lazy [--vocab N] [--steps N] [--threads N] [--device D]`:
 * the dual-encoder step of `recipes/labse.yaml` (hidden 128, 4 layers, 4 heads, intermediate 512,
 * 64 pairs per step embedded 16 at a time with gradient caching, additive margin 0.3 × 10,
 * clipping at 1, AdamW at 2e-3) on random sentences of 8–46 word pieces whose ids follow a Zipf
 * law (frequent rows recur, rare ones rest for many steps, as in real text). The vocabulary is the
 * recipe's 16,000 rows unless --vocab gives another (LaBSE's own is 501,153).
 *
 * Prints one JSON object: milliseconds per step (wall clock, and CPU time: with --threads 1 the
 * latter is the step's own work even on a busy machine), the wasm heap's peak growth over the timed steps
 * (above what was resident before them: weights and AdamW moments), the resident tensor bytes,
 * the process's peak RSS, and the time to bring every resting row up to date once (what an
 * evaluation or export costs in exact mode). Run each mode in its own process, so the peak RSS
 * is that mode's alone.
 */
import * as tf from "@tensorflow/tfjs";
import { selectDevice } from "../src/device/index.js";
import type { TokenBatch } from "../src/model/batch.js";
import { defaultConfig } from "../src/model/config.js";
import { SentenceEncoder } from "../src/model/sentence-encoder.js";
import { Transformer } from "../src/model/transformer.js";
import { additiveMarginLoss } from "../src/losses/additive-margin.js";
import { AdamW } from "../src/train/adamw.js";
import { cachedContrastiveGradients, splitBatch } from "../src/train/gradient-cache.js";
import { optimizerStep } from "../src/train/optimizer-step.js";
import { Random } from "../src/util/random.js";
import { meterWasmHeap } from "./heap-meter.js";

const args = process.argv.slice(2);
const flagValue = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
const embeddings = flagValue("--embeddings") as "exact" | "lazy" | undefined;
if (embeddings !== "exact" && embeddings !== "lazy") throw new Error("give --embeddings exact or --embeddings lazy");
const vocab = Number(flagValue("--vocab") ?? 16_000);
const steps = Number(flagValue("--steps") ?? 8);
const threads = flagValue("--threads") === undefined ? undefined : Number(flagValue("--threads"));
const chosen = await selectDevice((flagValue("--device") ?? "auto") as "auto", { threads });

const shape = { hidden: 128, layers: 4, heads: 4, intermediate: 512, maxLength: 48, batch: 64, chunk: 16 };
const config = defaultConfig({
  vocabSize: vocab,
  hiddenSize: shape.hidden,
  numHiddenLayers: shape.layers,
  numAttentionHeads: shape.heads,
  intermediateSize: shape.intermediate,
  maxPositionEmbeddings: 64,
});
// The step never tokenizes: batches are made of ids below.
const tokenizer = {
  special: { pad: 0 },
  encode(): never {
    throw new Error("the benchmark feeds ids");
  },
};
const encoder = new SentenceEncoder({
  tokenizer,
  transformer: Transformer.initialize(config, 1),
  maxSeqLength: shape.maxLength,
  pooling: "mean",
  normalize: true,
});
const random = new Random(7);
const zipf = () => 5 + Math.min(vocab - 6, Math.floor(Math.exp(random.next() * Math.log(vocab - 5)) - 1));

/** One side of a step: `[CLS] ids [SEP]`, right-padded, cut into chunks. */
function side(): TokenBatch[] {
  const lengths = Array.from({ length: shape.batch }, () => 8 + random.integer(shape.maxLength - 10));
  const length = Math.max(...lengths) + 2;
  const inputIds = new Int32Array(shape.batch * length);
  const attentionMask = new Int32Array(shape.batch * length);
  lengths.forEach((words, row) => {
    const ids = [2, ...Array.from({ length: words }, zipf), 3];
    inputIds.set(ids, row * length);
    attentionMask.fill(1, row * length, row * length + ids.length);
  });
  return splitBatch(
    { batchSize: shape.batch, length, inputIds, tokenTypeIds: new Int32Array(shape.batch * length), attentionMask },
    shape.chunk,
  );
}

const optimizer = new AdamW({ learningRate: 2e-3, weightDecay: 0.01, embeddings });
const dropout = new Random(11);
const step = () => {
  const gradients = cachedContrastiveGradients(
    encoder,
    side(),
    side(),
    (x, y) => additiveMarginLoss(x, y, { margin: 0.3, scale: 10, reduction: "sum" }),
    {
      training: true,
      random: dropout,
    },
  );
  return optimizerStep(optimizer, encoder.trainableParameters(), gradients, 2e-3, 1).loss;
};

// Metered from before the warm steps: the timed steps free buffers they allocated (replaced weights
// and table blocks), and the meter can subtract only frees of allocations it saw.
const meter = meterWasmHeap();
for (let i = 0; i < 2; i++) step(); // AdamW's moments exist, rows rest behind
const heapResident = meter?.current() ?? 0;
meter?.resetPeak();
const residentBytes = tf.memory().numBytes;
const started = performance.now();
const cpuStarted = process.cpuUsage();
let loss = 0;
for (let i = 0; i < steps; i++) loss = step();
const millisecondsPerStep = (performance.now() - started) / steps;
// On a shared machine the wall clock measures the neighbours; with one thread, CPU time is the step's work.
const cpu = process.cpuUsage(cpuStarted);
const cpuMillisecondsPerStep = (cpu.user + cpu.system) / 1000 / steps;
const heapPeakGrowthBytes = meter === undefined ? undefined : meter.peak() - heapResident;
meter?.stop();
const catchUpStarted = performance.now();
encoder.transformer.wordEmbeddings.toTensor().dispose(); // an evaluation or export: every resting row caught up
const fullCatchUpMilliseconds = performance.now() - catchUpStarted;
const figures = {
  embeddings,
  vocab,
  shape,
  steps,
  engine: `${chosen.device} (tfjs backend "${chosen.backend}")`,
  threads: chosen.threads,
  millisecondsPerStep: Math.round(millisecondsPerStep),
  cpuMillisecondsPerStep: Math.round(cpuMillisecondsPerStep),
  heapPeakGrowthMB: heapPeakGrowthBytes === undefined ? undefined : +(heapPeakGrowthBytes / 1e6).toFixed(1),
  residentTensorMB: +(residentBytes / 1e6).toFixed(1),
  peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  fullCatchUpMilliseconds: Math.round(fullCatchUpMilliseconds),
  lastLoss: +loss.toFixed(4),
};
process.stdout.write(`${JSON.stringify(figures)}\n`);
optimizer.dispose();
encoder.dispose();
