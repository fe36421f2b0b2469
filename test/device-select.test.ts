import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { describeDevice, registeredKernels, selectDevice, withBackend } from "../src/device/index.js";
import { installedVersion } from "../src/device/versions.js";
import { BabelbedError } from "../src/util/errors.js";

const nativeInstalled =
  installedVersion("@tensorflow/tfjs-node") !== undefined ||
  installedVersion("@tensorflow/tfjs-node-gpu") !== undefined;

test("js selects the pure-JS cpu backend", async () => {
  const info = await selectDevice("js");
  assert.equal(info.device, "js");
  assert.equal(info.backend, "cpu");
  assert.equal(tf.getBackend(), "cpu");
  assert.equal(info.threads, 1);
  assert.deepEqual(info.registeredKernels, []);
  assert.equal(info.versions.node, process.versions.node);
  assert.equal(info.versions["@tensorflow/tfjs-core"], tf.version_core);
});

test("wasm selects the wasm backend with babelbed's kernels", async () => {
  const lines: string[] = [];
  const info = await selectDevice("wasm", { log: (line) => lines.push(line) });
  assert.equal(info.device, "wasm");
  assert.equal(tf.getBackend(), "wasm");
  assert.ok(info.threads !== null && info.threads >= 1);
  assert.ok(info.registeredKernels.includes("UnsortedSegmentSum"));
  assert.deepEqual(info.registeredKernels, registeredKernels());
  assert.equal(info.versions["@tensorflow/tfjs-backend-wasm"], "4.22.0");
  assert.ok(lines.some((line) => line.includes('using wasm (tfjs backend "wasm")')));
  // The embedding-lookup gradient that wasm lacked on its own.
  const gradient = tf.grad((table: tf.Tensor) => tf.gather(table, tf.tensor1d([2, 0, 2], "int32")).sum())(
    tf.ones([3, 2]),
  );
  assert.deepEqual(Array.from(gradient.dataSync()), [1, 1, 0, 0, 2, 2]);
});

test("auto skips the missing tfjs-node packages, says why, and lands on wasm", {
  skip: nativeInstalled && "tfjs-node is installed here",
}, async () => {
  const lines: string[] = [];
  const info = await selectDevice("auto", { log: (line) => lines.push(line) });
  assert.equal(info.device, "wasm");
  assert.equal(info.reasons.length, 2);
  assert.match(info.reasons[0], /^tfjs-node-gpu: not installed \(npm install @tensorflow\/tfjs-node-gpu/);
  assert.match(info.reasons[1], /^tfjs-node: not installed \(npm install @tensorflow\/tfjs-node\)/);
  assert.ok(lines.some((line) => line.startsWith("device: skipped gpu: tfjs-node-gpu: not installed")));
  assert.ok(lines.some((line) => line.startsWith("device: skipped cpu: tfjs-node: not installed")));
  assert.ok(lines.some((line) => line.startsWith("device: using wasm")));
});

test("explicit gpu and cpu fail with install instructions and keep the active backend", {
  skip: nativeInstalled && "tfjs-node is installed here",
}, async () => {
  await selectDevice("js");
  const cacheBefore = process.env.CUDA_CACHE_MAXSIZE;
  await assert.rejects(selectDevice("gpu"), (error: unknown) => {
    assert.ok(error instanceof BabelbedError);
    assert.match(error.message, /^device 'gpu' is not available: tfjs-node-gpu: not installed/);
    assert.match(error.message, /npm install @tensorflow\/tfjs-node-gpu; it needs Linux x86-64, an NVIDIA driver/);
    return true;
  });
  assert.equal(process.env.CUDA_CACHE_MAXSIZE, cacheBefore, "the CUDA cache size is only set when tfjs-node-gpu loads");
  await assert.rejects(selectDevice("cpu"), (error: unknown) => {
    assert.ok(error instanceof BabelbedError);
    assert.equal(
      error.message,
      "device 'cpu' is not available: tfjs-node: not installed (npm install @tensorflow/tfjs-node)",
    );
    return true;
  });
  assert.equal(tf.getBackend(), "cpu");
});

test("an unknown choice or a bad thread count is a BabelbedError", async () => {
  await assert.rejects(selectDevice("tpu" as "auto"), /unknown device 'tpu': expected one of auto, gpu, cpu, wasm, js/);
  await assert.rejects(selectDevice("wasm", { threads: 0 }), /threads must be a positive integer, not 0/);
});

test("selecting repeatedly is idempotent and registers kernels once", async () => {
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...parts: unknown[]) => void warnings.push(parts.join(" "));
  try {
    const first = await selectDevice("wasm");
    await selectDevice("js");
    const second = await selectDevice("wasm");
    await selectDevice("wasm");
    assert.deepEqual(second.registeredKernels, first.registeredKernels);
    assert.equal(tf.getBackend(), "wasm");
  } finally {
    console.warn = warn;
  }
  assert.deepEqual(
    warnings.filter((line) => line.includes("already registered")),
    [],
  );
});

test("withBackend switches for the call and restores afterwards, also on error", async () => {
  await selectDevice("js");
  const seen = await withBackend("wasm", () => tf.getBackend());
  assert.equal(seen, "wasm");
  assert.equal(tf.getBackend(), "cpu");
  await assert.rejects(
    withBackend("wasm", async () => {
      throw new Error("inside");
    }),
    /inside/,
  );
  assert.equal(tf.getBackend(), "cpu");
  await assert.rejects(
    withBackend("no-such-backend", () => 1),
    BabelbedError,
  );
  assert.equal(tf.getBackend(), "cpu");
});

test("describeDevice lists backend, threads, versions, skipped devices and kernels", async () => {
  const info = await selectDevice("wasm");
  const text = describeDevice({ ...info, reasons: ["tfjs-node: not installed (npm install @tensorflow/tfjs-node)"] });
  assert.match(text, /^device: {3}wasm \(tfjs backend "wasm"\)$/m);
  assert.match(text, /^threads: {2}\d+$/m);
  assert.match(text, new RegExp(`^  node +${process.versions.node.replace(/\./g, "\\.")}$`, "m"));
  assert.match(text, /^ {2}@tensorflow\/tfjs-backend-wasm +4\.22\.0$/m);
  assert.match(text, /^skipped:\n {2}tfjs-node: not installed/m);
  assert.match(text, /^kernels babelbed registered: .*UnsortedSegmentSum/m);
  const native = describeDevice({
    ...info,
    device: "gpu",
    backend: "tensorflow",
    threads: null,
    registeredKernels: [],
    versions: { tensorflow: "2.9.1", node: "20.0.0" },
  });
  assert.match(native, /^threads: {2}chosen by TensorFlow$/m);
  assert.match(native, /versions:\n {2}node {8}20\.0\.0\n {2}tensorflow {2}2\.9\.1/);
});
