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

/** A batch as the encoder graph's int64 inputs; `token_type_ids` only where the architecture takes them. */
export function onnxFeeds(
  runtime: OnnxRuntime,
  batch: {
    batchSize: number;
    length: number;
    inputIds: Int32Array;
    attentionMask: Int32Array;
    tokenTypeIds: Int32Array;
  },
  tokenTypes: boolean,
): Record<string, OnnxTensor> {
  const shape = [batch.batchSize, batch.length];
  const int64 = (values: Int32Array) =>
    new runtime.Tensor(
      "int64",
      BigInt64Array.from(values, (value) => BigInt(value)),
      shape,
    );
  const feeds: Record<string, OnnxTensor> = {
    input_ids: int64(batch.inputIds),
    attention_mask: int64(batch.attentionMask),
  };
  if (tokenTypes) feeds.token_type_ids = int64(batch.tokenTypeIds);
  return feeds;
}

/** The package name in a variable: TypeScript then leaves the import unresolved, as it may be absent. */
const packageName = "onnxruntime-node";

/** Imports onnxruntime-node; throws where it is not installed or has no binary for this platform. */
export async function importOnnxRuntime(): Promise<OnnxRuntime> {
  const module = (await import(packageName)) as OnnxRuntime & { default?: OnnxRuntime };
  return module.default ?? module;
}
