import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { firstLine } from "./messages.js";
import type { Activation } from "./types.js";
import { registerWasmKernels } from "./wasm-kernels/index.js";
import { createThreadedBackend, maximumWasmThreads } from "./wasm-threads.js";

type WasmPackage = typeof import("@tensorflow/tfjs-backend-wasm");

let wasmPackage: WasmPackage | undefined;

/** Which build the "wasm" backend runs: set when it is registered, updated if threads fail to start. */
const build = { threads: 1, threadFailure: undefined as string | undefined };

/**
 * Import tfjs-backend-wasm, point it at its .wasm files and register
 * babelbed's kernels; repeated calls only re-check the kernels.
 *
 * The import is deferred to here on purpose: importing the package registers
 * "wasm" with a higher priority than "cpu", and from then on any op run before
 * `await tf.setBackend(...)` throws "backend 'wasm' has not yet been
 * initialized". Modules that never choose wasm should not pay for that.
 *
 * The .wasm files are addressed by absolute path inside the installed package,
 * so they are found whatever the working directory and however the calling
 * code is bundled.
 *
 * With more than one thread (the default wherever there is more than one
 * core) "wasm" is re-registered to start the threaded SIMD build through
 * wasm-threads.ts; where that fails, the registration falls back to tfjs' own
 * single-threaded build and activateWasm says why. The thread count is fixed
 * when the backend first starts in a process.
 */
export async function prepareWasmBackend(threads = availableParallelism()): Promise<WasmPackage> {
  if (wasmPackage === undefined) {
    const loaded = await import("@tensorflow/tfjs-backend-wasm");
    if (!wasmInitialised()) loaded.setWasmPaths(wasmDirectory());
    singleThreaded = tf.findBackendFactory("wasm") ?? undefined;
    wasmPackage = loaded;
  }
  if (!wasmInitialised()) register(wasmPackage, Math.min(threads, maximumWasmThreads));
  registerWasmKernels();
  return wasmPackage;
}

/** tfjs-backend-wasm's own factory: the single-threaded SIMD build under Node. */
let singleThreaded: (() => tf.KernelBackend | Promise<tf.KernelBackend>) | undefined;

/** Register "wasm" for `threads` threads; until the backend starts, a later call may change the count. */
function register(wasm: WasmPackage, threads: number): void {
  if (singleThreaded === undefined) return;
  const fallback = singleThreaded;
  build.threads = threads;
  build.threadFailure = undefined;
  wasm.setThreadsCount(1);
  tf.removeBackend("wasm");
  if (threads === 1) {
    tf.registerBackend("wasm", fallback, wasmPriority);
    return;
  }
  tf.registerBackend(
    "wasm",
    async () => {
      try {
        return await createThreadedBackend(wasm, threads);
      } catch (error) {
        build.threads = 1;
        build.threadFailure = firstLine(error);
        wasm.setThreadsCount(1);
        return fallback();
      }
    },
    wasmPriority,
  );
}

/** The priority tfjs-backend-wasm registers "wasm" with (below tensorflow, above cpu). */
const wasmPriority = 2;

function wasmDirectory(): string {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve("@tensorflow/tfjs-backend-wasm/package.json");
  return path.join(path.dirname(manifest), "dist") + path.sep;
}

function wasmInitialised(): boolean {
  return tf.engine().registry.wasm !== undefined;
}

/** Switch tfjs to the wasm backend (SIMD build where the runtime has SIMD). */
export async function activateWasm(threads: number | undefined, log: (line: string) => void): Promise<Activation> {
  const requested = threads ?? availableParallelism();
  let wasm: WasmPackage;
  let simd: boolean;
  try {
    const alreadyInitialised = wasmInitialised();
    wasm = await prepareWasmBackend(requested);
    simd = (await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")) === true;
    const file =
      build.threads > 1
        ? "tfjs-backend-wasm-threaded-simd.wasm"
        : simd
          ? "tfjs-backend-wasm-simd.wasm"
          : "tfjs-backend-wasm.wasm";
    const binary = path.join(wasmDirectory(), file);
    if (!alreadyInitialised && !existsSync(binary)) {
      return { ok: false, reason: `wasm: ${binary} is missing (reinstall: npm install @tensorflow/tfjs-backend-wasm)` };
    }
    if (!(await tf.setBackend("wasm"))) {
      return { ok: false, reason: "wasm: the backend failed to initialise (see the tfjs warning above)" };
    }
    if (alreadyInitialised && threads !== undefined) {
      log("device: wasm was already initialised in this process, so the thread count is unchanged");
    }
  } catch (error) {
    return { ok: false, reason: `wasm: ${firstLine(error)}` };
  }
  const active = wasm.getThreadsCount();
  const threaded = build.threads > 1;
  const notes = [`wasm build: ${threaded ? "threaded SIMD" : simd ? "SIMD" : "baseline"}, ${active} thread(s)`];
  if (build.threadFailure !== undefined) {
    notes.push(`wasm runs on one thread: the threaded build failed to start (${build.threadFailure})`);
  } else if (requested > maximumWasmThreads) {
    notes.push(
      `wasm runs on ${maximumWasmThreads} threads, the most tfjs-backend-wasm's pthread pool holds, not ${requested}`,
    );
  }
  return {
    ok: true,
    backend: "wasm",
    threads: active,
    notes,
    versions: { "@tensorflow/tfjs-backend-wasm": wasm.version_wasm },
  };
}
