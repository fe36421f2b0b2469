import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { allocate, input, sizeOf, view, wasmBackendOf, type KernelArguments } from "./heap.js";
import { simdKernels, type SimdKernels } from "./simd/kernels.js";

/**
 * BERT's exact GELU and its gradient as single wasm kernels (`simd/gelu.wat`): one pass over
 * the tensor each, where tfjs' elementwise kernels took 5 forward and 11 backward. tfjs has
 * no GELU kernel, so these are new kernel names; the model asks `fusedGelu` and
 * `fusedGeluGradient`, which answer undefined wherever the kernels cannot run (another
 * backend, the SIMD kernels switched off, another dtype, broadcasting shapes), and then builds
 * GELU from tfjs' ops as before.
 */
const geluName = "BabelbedGelu";
const geluGradientName = "BabelbedGeluGradient";

function kernelsOf(backend: BackendWasm): SimdKernels {
  const kernels = simdKernels(backend);
  // fusedGelu checks this before it runs either kernel
  if (kernels === undefined) throw new Error(`${geluName}: babelbed's SIMD kernels are not available`);
  return kernels;
}

export const geluKernel: tf.KernelConfig = {
  kernelName: geluName,
  backendName: "wasm",
  kernelFunc: (args) => {
    const { inputs, backend } = args as KernelArguments;
    const x = input(inputs, "x");
    const wasm = wasmBackendOf(backend);
    const kernels = kernelsOf(wasm);
    const output = allocate(wasm, x.shape, "float32");
    kernels.gelu(view(wasm, x).byteOffset, view(wasm, output).byteOffset, sizeOf(x.shape));
    return output;
  },
};

export const geluGradientKernel: tf.KernelConfig = {
  kernelName: geluGradientName,
  backendName: "wasm",
  kernelFunc: (args) => {
    const { inputs, backend } = args as KernelArguments;
    const [dy, x] = [input(inputs, "dy"), input(inputs, "x")];
    const wasm = wasmBackendOf(backend);
    const kernels = kernelsOf(wasm);
    const output = allocate(wasm, x.shape, "float32");
    kernels.geluGradient(
      view(wasm, dy).byteOffset,
      view(wasm, x).byteOffset,
      view(wasm, output).byteOffset,
      sizeOf(x.shape),
    );
    return output;
  },
};

function runs(kernelName: string, tensors: tf.Tensor[]): boolean {
  return (
    tf.getBackend() === "wasm" &&
    tf.getKernel(kernelName, "wasm") !== undefined &&
    tensors.every((tensor) => tensor.dtype === "float32" && tf.util.arraysEqual(tensor.shape, tensors[0]!.shape)) &&
    simdKernels(tf.backend() as BackendWasm) !== undefined
  );
}

/** `x·Φ(x)` in one pass, or undefined where the fused kernel cannot run. */
export function fusedGelu(x: tf.Tensor): tf.Tensor | undefined {
  return runs(geluName, [x]) ? (tf.engine().runKernel(geluName, { x }) as tf.Tensor) : undefined;
}

/** `dy·(Φ(x) + x·φ(x))` in one pass, or undefined where the fused kernel cannot run. */
export function fusedGeluGradient(dy: tf.Tensor, x: tf.Tensor): tf.Tensor | undefined {
  return runs(geluGradientName, [dy, x])
    ? (tf.engine().runKernel(geluGradientName, { dy, x }) as tf.Tensor)
    : undefined;
}
