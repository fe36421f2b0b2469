import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { modules } from "./binary.js";

/**
 * The exports of `matrices.wat` and `gelu.wat`; addresses and strides are bytes into tfjs'
 * wasm heap, counts are floats.
 */
export interface SimdKernels {
  rows(
    a: number,
    b: number,
    c: number,
    batch: number,
    m: number,
    k: number,
    n: number,
    aBatch: number,
    aRow: number,
    aColumn: number,
    bBatch: number,
  ): void;
  dots(
    a: number,
    b: number,
    c: number,
    batch: number,
    m: number,
    k: number,
    n: number,
    aBatch: number,
    bBatch: number,
  ): void;
  transpose(input: number, output: number, batch: number, rows: number, columns: number): void;
  gelu(x: number, output: number, count: number): void;
  geluGradient(dy: number, x: number, output: number, count: number): void;
}

/** The emscripten module's memory: `wasmMemory` in the threaded build, the exports' `memory` otherwise. */
function memoryOf(backend: BackendWasm): WebAssembly.Memory | undefined {
  const module = backend.wasm as unknown as { wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory } };
  return module.wasmMemory ?? module.asm?.memory;
}

const instances = new WeakMap<WebAssembly.Memory, SimdKernels | null>();
let enabled = true;

/**
 * Switch babelbed's SIMD kernels (matmuls, transposes, GELU) off (and on again), so that
 * benchmarks and tests can compare them with tfjs-backend-wasm's own.
 */
export function useSimdKernels(value: boolean): void {
  enabled = value;
}

function decode(base64: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(base64), (character) => character.charCodeAt(0));
}

/**
 * The kernels, instantiated once per tfjs heap on that very memory; undefined where they are
 * switched off or the runtime lacks wasm SIMD (the backend's own kernels then run). The modules
 * are under 4 KB each, so compiling them synchronously is allowed on a browser's main thread too.
 */
export function simdKernels(backend: BackendWasm): SimdKernels | undefined {
  if (!enabled) return undefined;
  const memory = memoryOf(backend);
  if (memory === undefined) return undefined;
  let kernels = instances.get(memory);
  if (kernels === undefined) {
    const shared = typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
    try {
      const exports = Object.values(modules).map((bytes) => {
        const module = new WebAssembly.Module(decode(shared ? bytes.shared : bytes.plain));
        return new WebAssembly.Instance(module, { env: { memory } }).exports;
      });
      kernels = Object.assign({}, ...exports) as SimdKernels;
    } catch {
      kernels = null;
    }
    instances.set(memory, kernels);
  }
  return kernels ?? undefined;
}
