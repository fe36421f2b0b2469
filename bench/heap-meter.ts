import * as tf from "@tensorflow/tfjs";

/**
 * Bytes of tensor data the wasm backend really holds. tfjs' own count (tf.memory().numBytes,
 * tf.profile's peakBytes) adds every tensor's size, so a reshape or a clone that shares its
 * input's buffer counts twice; this meter wraps the backend's malloc and free instead.
 * It knows the size of what was allocated after it started only, so a free of an older buffer
 * is not subtracted: start it before the steps whose buffers the measured step replaces.
 * Returns undefined on other backends.
 */
export function meterWasmHeap(): { current(): number; peak(): number; resetPeak(): void; stop(): void } | undefined {
  if (tf.getBackend() !== "wasm") return undefined;
  const module = (tf.backend() as unknown as { wasm: { _malloc(bytes: number): number; _free(offset: number): void } })
    .wasm;
  const malloc = module._malloc;
  const free = module._free;
  const sizes = new Map<number, number>();
  let current = 0;
  let peak = 0;
  module._malloc = (bytes: number) => {
    const offset = malloc(bytes);
    sizes.set(offset >>> 0, bytes);
    current += bytes;
    peak = Math.max(peak, current);
    return offset;
  };
  module._free = (offset: number) => {
    current -= sizes.get(offset >>> 0) ?? 0;
    sizes.delete(offset >>> 0);
    free(offset);
  };
  return {
    current: () => current,
    peak: () => peak,
    resetPeak: () => (peak = current),
    stop: () => {
      module._malloc = malloc;
      module._free = free;
    },
  };
}
