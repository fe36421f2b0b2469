import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { availableParallelism } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { selectDevice } from "../src/device/index.js";
import { maximumWasmThreads } from "../src/device/wasm-threads.js";

const run = promisify(execFile);
const child = path.join(path.dirname(fileURLToPath(import.meta.url)), "helpers", "thread-parity-run.ts");

interface ParityRun {
  threads: number;
  notes: string[];
  forward: number[];
  losses: number[];
  parameters: Record<string, number[]>;
}

/** One process per thread count: wasm fixes its build and pool when it first starts. */
async function parityRun(threads: number): Promise<ParityRun> {
  // A process that does not exit on its own (a worker keeping it alive) fails through the timeout.
  const { stdout } = await run(process.execPath, ["--import", "tsx", child, String(threads)], {
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as ParityRun;
}

// Bit for bit, not a tolerance: XNNPACK splits a matmul across threads by output tiles, so each
// output element is still one thread's dot product summed in the same order, and every other
// kernel (softmax, reductions, AdamW) runs on the calling thread alone. The threaded and
// single-threaded builds come from the same sources and pick the same SIMD micro-kernels.
test("wasm on 2 threads gives the single-threaded forward pass and training steps bit for bit", async () => {
  const [single, threaded] = await Promise.all([parityRun(1), parityRun(2)]);
  assert.equal(single.threads, 1);
  assert.equal(threaded.threads, 2);
  assert.ok(
    threaded.notes.some((note) => note.startsWith("wasm build: threaded SIMD, 2 thread(s)")),
    threaded.notes.join("; "),
  );
  assert.equal(single.forward.length, 16 * 64);
  assert.deepEqual(threaded.forward, single.forward);
  assert.equal(single.losses.length, 3);
  assert.deepEqual(threaded.losses, single.losses);
  assert.ok(Object.keys(single.parameters).length > 30);
  for (const [name, values] of Object.entries(single.parameters))
    assert.deepEqual(threaded.parameters[name], values, name);
});

test("wasm uses every core by default, up to the pool tfjs-backend-wasm builds", async () => {
  const info = await selectDevice("wasm");
  const expected = Math.min(availableParallelism(), maximumWasmThreads);
  assert.equal(info.threads, expected);
  assert.equal(tf.getBackend(), "wasm");
  const product = tf.matMul(tf.ones([64, 32]), tf.ones([32, 48]));
  assert.deepEqual(Array.from(new Set(product.dataSync())), [32]);
  tf.dispose(product);
});
