/**
 * `node --import tsx bench/step-memory.ts [--device D] [--threads N]`: where a training step's
 * memory goes on the benchmark's configuration (hidden 256, 4 layers, 4 heads, intermediate
 * 1024, 32 tokens, batch 32). tfjs' profiler lists every kernel with the bytes it left
 * allocated and the total at that moment; the step's peak is the largest total. The kernels
 * of the forward pass are grouped by what they compute, with the bytes each added (the tape
 * keeps nearly all of them alive until the backward pass uses them); the bytes alive when the
 * forward pass ends and what the backward pass and AdamW add above them are given apart.
 */
import * as tf from "@tensorflow/tfjs";
import { selectDevice } from "../src/device/index.js";
import { pool } from "../src/model/pooling.js";
import { Transformer } from "../src/model/transformer.js";
import { AdamW } from "../src/train/adamw.js";
import { computeGradients, disposeGradients } from "../src/train/gradients.js";
import { Random } from "../src/util/random.js";
import { benchBatch, config, shape } from "./configuration.js";
import { meterWasmHeap } from "./heap-meter.js";

const args = process.argv.slice(2);
const flagValue = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
const threads = flagValue("--threads") === undefined ? undefined : Number(flagValue("--threads"));
const chosen = await selectDevice((flagValue("--device") ?? "auto") as "auto", { threads });
const model = Transformer.initialize(config, 1);
const random = new Random(1);
const batch = benchBatch(random);
const mask = tf.tensor2d(batch.attentionMask, [shape.batch, shape.tokens], "int32");
const optimizer = new AdamW({ learningRate: 1e-4 });
// Where the forward pass ends inside the profiled step: its kernel count and the bytes alive then
// (tfjs' profile under construction is internal state, read here only to split the step in two).
const engineState = () => (tf.engine() as unknown as { state: { activeProfile?: { kernels: unknown[] } } }).state;
const forwardEnd = { kernels: 0, bytes: 0, heap: 0 };
let meter: ReturnType<typeof meterWasmHeap>;
const step = () => {
  const gradients = computeGradients(model, new Map([[model.wordEmbeddings, [batch.inputIds]]]), (sparse) => {
    const loss = tf.tidy(
      () =>
        tf.mean(tf.square(pool(model.forward(batch, { sparse, training: true, random }), mask, "mean"))) as tf.Scalar,
    );
    forwardEnd.kernels = engineState().activeProfile?.kernels.length ?? 0;
    forwardEnd.heap = meter?.current() ?? 0;
    forwardEnd.bytes = tf.memory().numBytes;
    return loss;
  });
  optimizer.apply(model.trainableParameters(), gradients);
  disposeGradients(gradients);
};
step(); // creates AdamW's moments, which stay resident
meter = meterWasmHeap();
step();
const heapResident = meter?.current() ?? 0;
meter?.resetPeak();
step();
const heapPeakGrowth = (meter?.peak() ?? 0) - heapResident;
const heapForwardEnd = forwardEnd.heap - heapResident;
meter?.stop();
const resident = tf.memory().numBytes;
const profile = await tf.profile(step);
const kernels = profile.kernels;
const peakIndex = kernels.reduce(
  (best, kernel, index) => (kernel.totalBytesSnapshot > kernels[best]!.totalBytesSnapshot ? index : best),
  0,
);

/** What a kernel computes in this model, from its name and output shape. */
function category(name: string, outputShapes: number[][]): string {
  const out = outputShapes[0] ?? [];
  const last = out[out.length - 1];
  const attentionShaped = out.length === 4 && out[2] === shape.tokens && out[3] === shape.tokens;
  if (attentionShaped)
    return name === "Softmax" ? "attention probabilities (softmax)" : `attention scores/masks [b,h,s,s] (${name})`;
  if (out.length === 4 && out[1] === 1 && out[2] === 1) return `float masks [b,1,1,s] (${name})`;
  if (name === "Transpose") return "copies: transposes (heads split/merge, matmul gradients)";
  if (["Cast", "Reshape", "Identity"].includes(name)) return `copies: ${name}`;
  if (name.includes("MatMul"))
    return last === shape.intermediate ? "matmul outputs [tokens, intermediate]" : "matmul outputs [tokens, hidden]";
  if (last === shape.intermediate) return `feed-forward intermediates [tokens, intermediate] (${name})`;
  if (["Erf", "Exp"].includes(name)) return `GELU (${name})`;
  if (
    name.startsWith("Random") ||
    name === "Less" ||
    name === "GreaterEqual" ||
    name === "Greater" ||
    name === "Select" ||
    name === "SelectV2"
  )
    return `dropout masks (${name})`;
  return `elementwise [tokens, hidden] (${name})`;
}

// Bytes each forward kernel added (0 for reshapes, which share their input's data): with the
// tape holding them, these are what the forward pass leaves for the backward pass.
const byCategory = new Map<string, { bytes: number; kernels: number }>();
for (const kernel of kernels.slice(0, forwardEnd.kernels)) {
  const outputShapes = (kernel.outputShapes ?? []) as number[][];
  const key = category(kernel.name, outputShapes);
  const entry = byCategory.get(key) ?? { bytes: 0, kernels: 0 };
  entry.bytes += Math.max(0, kernel.bytesAdded);
  entry.kernels += 1;
  byCategory.set(key, entry);
}
const rows = [...byCategory].sort((a, b) => b[1].bytes - a[1].bytes);
const megabytes = (bytes: number) => Number((bytes / 1e6).toFixed(1));
process.stdout.write(
  `${JSON.stringify(
    {
      engine: chosen.device,
      threads: chosen.threads,
      residentMB: megabytes(resident),
      stepPeakGrowthMB: megabytes(profile.peakBytes - resident),
      // The same step measured on the wasm heap (malloc/free), where shared buffers count once.
      heap:
        meter === undefined
          ? undefined
          : {
              residentMB: megabytes(heapResident),
              stepPeakGrowthMB: megabytes(heapPeakGrowth),
              aliveAtForwardEndMB: megabytes(heapForwardEnd),
            },
      kernelsInStep: kernels.length,
      peakAtKernel: {
        index: peakIndex,
        name: kernels[peakIndex]!.name,
        outputShapes: kernels[peakIndex]!.outputShapes,
      },
      forward: { kernels: forwardEnd.kernels, aliveAtEndMB: megabytes(forwardEnd.bytes - resident) },
      backwardAndOptimizerAboveForwardMB: megabytes(profile.peakBytes - forwardEnd.bytes),
      forwardBytesAddedByCategory: Object.fromEntries(
        rows.map(([key, entry]) => [key, { MB: megabytes(entry.bytes), kernels: entry.kernels }]),
      ),
      largestAllocations: kernels
        .map((kernel, index) => ({
          index,
          name: kernel.name,
          MB: megabytes(kernel.bytesAdded),
          outputShapes: kernel.outputShapes,
        }))
        .sort((a, b) => b.MB - a.MB)
        .slice(0, 12),
    },
    null,
    2,
  )}\n`,
);
optimizer.dispose();
model.dispose();
