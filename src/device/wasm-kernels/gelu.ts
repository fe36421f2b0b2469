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

/**
 * An elementwise float32 kernel on the SIMD module: `run` gets the inputs' heap addresses in
 * the order of `inputNames`, the output's, and the float count.
 */
function elementwiseKernel(
  kernelName: string,
  inputNames: string[],
  run: (kernels: SimdKernels, addresses: number[], output: number, count: number) => void,
): tf.KernelConfig {
  return {
    kernelName,
    backendName: "wasm",
    kernelFunc: (args) => {
      const { inputs, backend } = args as KernelArguments;
      const tensors = inputNames.map((name) => input(inputs, name));
      const wasm = wasmBackendOf(backend);
      const kernels = simdKernels(wasm);
      // fusedGelu and fusedGeluGradient check this before they run either kernel
      if (kernels === undefined) throw new Error(`${kernelName}: babelbed's SIMD kernels are not available`);
      const shape = tensors[0]!.shape;
      const output = allocate(wasm, shape, "float32");
      const addresses = tensors.map((tensor) => view(wasm, tensor).byteOffset);
      run(kernels, addresses, view(wasm, output).byteOffset, sizeOf(shape));
      return output;
    },
  };
}

export const geluKernel = elementwiseKernel(geluName, ["x"], (kernels, [x], output, count) =>
  kernels.gelu(x!, output, count),
);

export const geluGradientKernel = elementwiseKernel(geluGradientName, ["dy", "x"], (kernels, [dy, x], output, count) =>
  kernels.geluGradient(dy!, x!, output, count),
);

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
