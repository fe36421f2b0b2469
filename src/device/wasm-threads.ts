import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import type * as tf from "@tensorflow/tfjs";

type WasmPackage = typeof import("@tensorflow/tfjs-backend-wasm");

/** The emscripten module the threaded factory resolves to, as far as babelbed touches it. */
interface EmscriptenModule {
  cwrap(name: string, returns: string | null, parameters: string[]): (...values: number[]) => number;
  wasmMemory: WebAssembly.Memory;
  PThread: { runningWorkers: Array<{ unref(): void }>; unusedWorkers: Array<{ unref(): void }> };
  [name: string]: unknown;
}

type Factory = (settings: Record<string, unknown>) => Promise<EmscriptenModule>;

/** tfjs-backend-wasm builds its pthread pool with 8 workers; its thread count is capped there. */
export const maximumWasmThreads = 8;

const threadedFile = "tfjs-backend-wasm-threaded-simd";

function packageDirectory(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json"));
}

/**
 * The script each pthread worker runs, as a data: URL so that nothing is
 * written to disk. tfjs ships the worker's source as a string that already
 * handles Node (worker_threads, fs-based importScripts); it only needs
 * `require` and `__filename`, which an ES module worker lacks, hence the
 * function wrapper. tfjs escapes the newlines of that string before
 * evaluating it, since its string literals contain raw ones; so do we.
 */
function workerUrl(directory: string): URL {
  const workerFile = path.join(directory, "wasm-out", `${threadedFile}.worker.js`);
  const source = [
    `import { createRequire } from "node:module";`,
    `const require = createRequire(${JSON.stringify(workerFile)});`,
    `const { wasmWorkerContents } = require(${JSON.stringify(workerFile)});`,
    `const body = wasmWorkerContents.split(String.fromCharCode(10)).join(String.fromCharCode(92, 110));`,
    `new Function("require", "__filename", body)(require, ${JSON.stringify(workerFile)});`,
  ].join("\n");
  return new URL(`data:text/javascript,${encodeURIComponent(source)}`);
}

/**
 * Emscripten refreshes `Module.HEAPU8` and the other views only when the main
 * thread grows the memory; a pthread that grows it would leave BackendWasm
 * reading through views of the old, shorter buffer. The getters re-view the
 * shared memory whenever its buffer changed.
 */
function followMemoryGrowth(module: EmscriptenModule): void {
  for (const name of ["HEAP8", "HEAPU8", "HEAP16", "HEAPU16", "HEAP32", "HEAPU32", "HEAPF32", "HEAPF64"]) {
    let view = module[name] as Uint8Array;
    const ViewType = view.constructor as new (buffer: ArrayBufferLike) => Uint8Array;
    Object.defineProperty(module, name, {
      configurable: true,
      get: () => {
        const buffer = module.wasmMemory.buffer;
        if (view.buffer !== buffer) view = new ViewType(buffer);
        return view;
      },
      set: (value: Uint8Array) => {
        view = value;
      },
    });
  }
}

/**
 * Start tfjs-backend-wasm's threaded SIMD build under Node with `threads`
 * kernel threads, without touching the installed package.
 *
 * tfjs itself never picks this build in Node (WASM_HAS_MULTITHREAD_SUPPORT is
 * false there, tensorflow/tfjs#3830), and forcing it fails: it hands the
 * workers a blob: URL, which worker_threads cannot load, and points them at
 * its bundled copy of the factory. Here the factory is the package's own
 * `wasm-out/tfjs-backend-wasm-threaded-simd.js`, its workers load the
 * package's worker source (see workerUrl) and re-read that same file, and
 * the backend is tfjs' own BackendWasm, so every kernel is unchanged.
 *
 * The C++ side caps the pool at half of emscripten_num_logical_cores()
 * (it assumes two hyper-threads per core), so that import reports twice the
 * requested count. Workers are unref'd once the pool runs: they sleep on
 * futexes between kernels and must not keep the process alive.
 */
export async function createThreadedBackend(wasm: WasmPackage, threads: number): Promise<tf.KernelBackend> {
  const directory = packageDirectory();
  const factoryFile = path.join(directory, "wasm-out", `${threadedFile}.js`);
  const binary = readFileSync(path.join(directory, "dist", `${threadedFile}.wasm`));
  const factory = createRequire(import.meta.url)(factoryFile) as Factory;
  const worker = workerUrl(directory);
  // A failed instantiation never settles the factory's promise, so it rejects this one instead.
  let fail: (reason: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => (fail = reject));
  const module = await Promise.race([
    factory({
      mainScriptUrlOrBlob: factoryFile,
      locateFile: (file: string, prefix: string) => (file.endsWith(".worker.js") ? worker : prefix + file),
      instantiateWasm: (
        imports: { env: Record<string, unknown> },
        receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
      ) => {
        const env = { ...imports.env, emscripten_num_logical_cores: () => 2 * threads };
        WebAssembly.instantiate(binary, { ...imports, env, wasi_snapshot_preview1: env }).then(
          (result) => receive(result.instance, result.module),
          fail,
        );
        return {};
      },
      onAbort: (reason: unknown) => fail(new Error(`threaded wasm aborted: ${String(reason)}`)),
    }),
    failed,
  ]);
  followMemoryGrowth(module);
  module.tfjs = {
    init: module.cwrap("init", null, []),
    initWithThreadsCount: module.cwrap("init_with_threads_count", null, ["number"]),
    getThreadsCount: module.cwrap("get_threads_count", "number", []),
    registerTensor: module.cwrap("register_tensor", null, ["number", "number", "number"]),
    disposeData: module.cwrap("dispose_data", null, ["number"]),
    dispose: module.cwrap("dispose", null, []),
  };
  wasm.setThreadsCount(threads);
  const backend = new wasm.BackendWasm(module as unknown as ConstructorParameters<typeof wasm.BackendWasm>[0]);
  for (const thread of [...module.PThread.runningWorkers, ...module.PThread.unusedWorkers]) thread.unref();
  return backend;
}
