/**
 * The part of onnxruntime-node's API that babelbed uses. onnxruntime-node is an optional
 * dependency (npm drops it where its install fails), so its types are declared here: the
 * project must build, and fall back to tfjs, where the package is absent.
 */
export interface OnnxTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
  /** Frees the native buffer now rather than at garbage collection. */
  dispose(): void;
}

export interface OnnxSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OnnxTensor>): Promise<Record<string, OnnxTensor>>;
  release(): Promise<void>;
}

export interface OnnxRuntime {
  InferenceSession: { create(model: Uint8Array | string, options?: Record<string, unknown>): Promise<OnnxSession> };
  Tensor: new (type: "int64" | "float32", data: BigInt64Array | Float32Array, dims: readonly number[]) => OnnxTensor;
  env: { versions: { common?: string } };
}

/** The package name in a variable: TypeScript then leaves the import unresolved, as it may be absent. */
const packageName = "onnxruntime-node";

/** Imports onnxruntime-node; throws where it is not installed or has no binary for this platform. */
export async function importOnnxRuntime(): Promise<OnnxRuntime> {
  const module = (await import(packageName)) as OnnxRuntime & { default?: OnnxRuntime };
  return module.default ?? module;
}
