/**
 * `node --import tsx bench/step-time.ts [--device wasm] [--threads N] [--steps N]`: where a
 * training step's time goes, kernel by kernel, on the benchmark's configuration (the step of
 * `npm run bench`: forward, backward, AdamW). Every kernel of the backend is wrapped with a
 * clock; on wasm and on tfjs-node kernels run synchronously, so a kernel's wall time is its
 * cost. JSON on stdout: the step's wall time, the kernels' share of it, and the kernels
 * ranked by total milliseconds per step (`--shapes`: also each kernel call by its input shapes).
 */
import * as tf from "@tensorflow/tfjs";
import { selectDevice } from "../src/device/index.js";
import { pool } from "../src/model/pooling.js";
import { Transformer } from "../src/model/transformer.js";
import { AdamW } from "../src/train/adamw.js";
import { computeGradients, disposeGradients } from "../src/train/gradients.js";
import { Random } from "../src/util/random.js";
import { benchBatch, config, shape } from "./configuration.js";

const args = process.argv.slice(2);
const flagValue = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
const threads = flagValue("--threads") === undefined ? undefined : Number(flagValue("--threads"));
const steps = Number(flagValue("--steps") ?? 5);
const chosen = await selectDevice((flagValue("--device") ?? "auto") as "auto", { threads });

const totals = new Map<string, { milliseconds: number; calls: number }>();
// `--shapes`: also every kernel by its input shapes (and a matmul's transposes), to find the slow calls.
const byShape = args.includes("--shapes");
const shapes = new Map<string, { milliseconds: number; calls: number }>();
let timing = false;
for (const kernel of tf.getKernelsForBackend(tf.getBackend())) {
  const original = kernel.kernelFunc;
  tf.unregisterKernel(kernel.kernelName, kernel.backendName);
  tf.registerKernel({
    ...kernel,
    kernelFunc: (kernelArguments) => {
      if (!timing) return original(kernelArguments);
      const started = performance.now();
      const result = original(kernelArguments);
      const elapsed = performance.now() - started;
      const entry = totals.get(kernel.kernelName) ?? { milliseconds: 0, calls: 0 };
      entry.milliseconds += elapsed;
      entry.calls += 1;
      totals.set(kernel.kernelName, entry);
      if (byShape) {
        const { inputs, attrs } = kernelArguments as {
          inputs: Record<string, tf.TensorInfo>;
          attrs?: Record<string, unknown>;
        };
        const flags =
          kernel.kernelName === "BatchMatMul"
            ? `${attrs?.transposeA ? "T" : "N"}${attrs?.transposeB ? "T" : "N"} `
            : "";
        const key = `${kernel.kernelName} ${flags}${Object.values(inputs)
          .map((info) => `[${info.shape}]`)
          .join(" ")}`;
        const shaped = shapes.get(key) ?? { milliseconds: 0, calls: 0 };
        shaped.milliseconds += elapsed;
        shaped.calls += 1;
        shapes.set(key, shaped);
      }
      return result;
    },
  });
}

const model = Transformer.initialize({ ...config, hiddenDropoutProb: 0.1, attentionProbsDropoutProb: 0.1 }, 1);
const random = new Random(1);
const batch = benchBatch(random);
const mask = tf.tensor2d(batch.attentionMask, [shape.batch, shape.tokens], "int32");
const optimizer = new AdamW({ learningRate: 1e-4 });
const step = () => {
  const gradients = computeGradients(model, new Map([[model.wordEmbeddings, [batch.inputIds]]]), (sparse) =>
    tf.tidy(
      () =>
        tf.mean(tf.square(pool(model.forward(batch, { sparse, training: true, random }), mask, "mean"))) as tf.Scalar,
    ),
  );
  optimizer.apply(model.trainableParameters(), gradients);
  gradients.loss.dataSync(); // the step's one host read, as the trainer's
  disposeGradients(gradients);
};
step();
step();
timing = true;
const started = performance.now();
for (let i = 0; i < steps; i++) step();
const stepMilliseconds = (performance.now() - started) / steps;
timing = false;
const kernels = [...totals]
  .map(([name, entry]) => ({
    name,
    millisecondsPerStep: Number((entry.milliseconds / steps).toFixed(2)),
    callsPerStep: entry.calls / steps,
  }))
  .sort((a, b) => b.millisecondsPerStep - a.millisecondsPerStep);
const inKernels = kernels.reduce((sum, kernel) => sum + kernel.millisecondsPerStep, 0);
process.stdout.write(
  `${JSON.stringify(
    {
      engine: chosen.device,
      threads: chosen.threads,
      stepMilliseconds: Number(stepMilliseconds.toFixed(1)),
      kernelMilliseconds: Number(inKernels.toFixed(1)),
      kernelCallsPerStep: kernels.reduce((sum, kernel) => sum + kernel.callsPerStep, 0),
      kernels: kernels.slice(0, 25),
      ...(byShape
        ? {
            calls: [...shapes]
              .map(([key, entry]) => ({
                key,
                millisecondsPerStep: Number((entry.milliseconds / steps).toFixed(2)),
                callsPerStep: entry.calls / steps,
              }))
              .sort((a, b) => b.millisecondsPerStep - a.millisecondsPerStep)
              .slice(0, 30),
          }
        : {}),
    },
    null,
    2,
  )}\n`,
);
optimizer.dispose();
model.dispose();
