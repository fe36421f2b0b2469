import * as tf from "@tensorflow/tfjs";
import { BabelbedError } from "../util/errors.js";
import { prepareWasmBackend } from "./wasm-backend.js";

/**
 * Run `fn` with tfjs switched to the backend `name` ("cpu", "wasm",
 * "tensorflow"), then switch back to the backend that was active before, even
 * when `fn` throws. "wasm" is prepared first (paths, babelbed's kernels), so
 * tests can compare backends without calling selectDevice. Tensors made under
 * one backend are usable under another: tfjs moves their data on first use.
 */
export async function withBackend<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
  if (name === "wasm") await prepareWasmBackend();
  const previous = tf.getBackend() as string | null | undefined;
  let switched: boolean;
  try {
    switched = await tf.setBackend(name);
  } catch (error) {
    throw new BabelbedError(`backend '${name}' is not available: ${(error as Error).message}`);
  }
  if (!switched) throw new BabelbedError(`backend '${name}' failed to initialise`);
  try {
    return await fn();
  } finally {
    if (previous && previous !== name) await tf.setBackend(previous);
  }
}
