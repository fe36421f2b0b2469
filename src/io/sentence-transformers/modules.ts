import type { DenseActivation } from "../../model/dense.js";
import type { Pooling } from "../../model/pooling.js";

/** The sentence-transformers modules babelbed understands, as plain data. */
export type ModuleSpec =
  | { kind: "transformer"; path: string; maxSeqLength: number; doLowerCase: boolean }
  | {
      kind: "pooling";
      path: string;
      /** One mode, or several concatenated in this order. */
      mode: Pooling;
      dimension: number;
      /** Whether prompt tokens are pooled (default true); only matters when prompts are prepended. */
      includePrompt?: boolean;
    }
  | {
      kind: "dense";
      path: string;
      inFeatures: number;
      outFeatures: number;
      bias: boolean;
      activation: DenseActivation;
      /** Row-major [outFeatures, inFeatures], as torch.nn.Linear stores it. */
      weight: Float32Array;
      biasValues?: Float32Array;
    }
  | { kind: "normalize"; path: string };

export type TransformerSpec = Extract<ModuleSpec, { kind: "transformer" }>;
export type PoolingSpec = Extract<ModuleSpec, { kind: "pooling" }>;
export type DenseSpec = Extract<ModuleSpec, { kind: "dense" }>;
