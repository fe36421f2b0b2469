import { promises as fs } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { TokenBatch } from "../../model/batch.js";
import type { ForwardEngine, SentenceEncoder } from "../../model/sentence-encoder.js";
import { needsExternalData, protobufLimit, writeOnnxModel } from "./external-data.js";
import { modelBytes } from "./proto.js";
import { buildSentenceEncoderModel, sentenceGraphProblem, type EncoderGraphParts } from "./sentence-graph.js";
import { importOnnxRuntime, onnxFeeds, type OnnxRuntime, type OnnxSession } from "./runtime.js";
import { takesTokenTypes } from "./transformer-graph.js";

export type { OnnxRuntime } from "./runtime.js";
/** Imports onnxruntime-node; tests inject one that throws to exercise the fallback. */
export type RuntimeLoader = () => Promise<OnnxRuntime>;

/** `onnx` runs forward passes in onnxruntime-node, `tfjs` in the tfjs backend that trains. */
export const engineNames = ["onnx", "tfjs"] as const;
export type EngineName = (typeof engineNames)[number];

const importRuntime: RuntimeLoader = importOnnxRuntime;

/** The temporary folders of models over protobuf's limit start with this, in the OS's temporary directory. */
export const temporaryPrefix = "babelbed-onnx-engine-";

let loaded: Promise<OnnxRuntime | Error> | undefined;

/**
 * onnxruntime-node, or why it cannot run here (an optional dependency: not installed, or no
 * binary for this platform). Loaded once per process unless a loader is given.
 */
export async function loadOnnxRuntime(loader?: RuntimeLoader): Promise<OnnxRuntime | Error> {
  const attempt = async (load: RuntimeLoader) => {
    try {
      const runtime = await load();
      if (typeof runtime.InferenceSession?.create !== "function")
        return new Error("onnxruntime-node has no InferenceSession");
      return runtime;
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  };
  if (loader !== undefined) return attempt(loader);
  loaded ??= attempt(importRuntime);
  return loaded;
}

/** One line for the log: why encoding runs on tfjs although onnx was the default. */
export function fallbackMessage(reason: Error): string {
  const first = reason.message.split("\n")[0]!.trim();
  return `engine: onnx unavailable (${first}); forward passes run on tfjs`;
}

/**
 * The encoder's forward pass in onnxruntime, from the weights as they are now. Session options
 * let onnxruntime use every core; its own graph optimizations fuse attention, LayerNorm and GELU.
 */
export class OnnxEngine implements ForwardEngine {
  readonly name = "onnx";

  private constructor(
    private readonly runtime: OnnxRuntime,
    private readonly session: OnnxSession,
    private readonly tokenTypes: boolean,
    /**
     * Where the model and its external data lie while the session runs, if they could not be
     * removed once it held them (Windows); removed on release.
     */
    readonly directory?: string,
  ) {}

  /**
   * The session is made from the model in memory; a model whose weights are over
   * `externalDataAbove` bytes (default, and at most, protobuf's limit) cannot be one protobuf
   * message, so it is written with external data into a temporary folder and loaded from there.
   */
  static async create(
    encoder: EncoderGraphParts,
    runtime: OnnxRuntime,
    threads?: number,
    externalDataAbove = protobufLimit,
  ): Promise<OnnxEngine> {
    const model = buildSentenceEncoderModel(encoder);
    const options = {
      graphOptimizationLevel: "all",
      ...(threads === undefined ? {} : { intraOpNumThreads: threads, interOpNumThreads: 1 }),
    };
    const tokenTypes = takesTokenTypes(encoder.transformer.config);
    if (!needsExternalData(model, externalDataAbove))
      return new OnnxEngine(runtime, await runtime.InferenceSession.create(modelBytes(model), options), tokenTypes);
    const directory = await fs.mkdtemp(path.join(tmpdir(), temporaryPrefix));
    try {
      const files = await writeOnnxModel(model, path.join(directory, "model.onnx"), externalDataAbove);
      const session = await runtime.InferenceSession.create(files.model, options);
      // Once the session exists onnxruntime has read or mapped every weight, and a mapped file
      // outlives its name on POSIX systems: removing the folder now means a killed process
      // leaves no model-sized folder behind. Windows refuses to delete a mapped file; there the
      // folder waits for release.
      const removed = await fs.rm(directory, { recursive: true, force: true }).then(
        () => true,
        () => false,
      );
      return new OnnxEngine(runtime, session, tokenTypes, removed ? undefined : directory);
    } catch (error) {
      await fs.rm(directory, { recursive: true, force: true });
      throw error;
    }
  }

  async vectors(batch: TokenBatch): Promise<Float32Array> {
    const feeds = onnxFeeds(this.runtime, batch, this.tokenTypes);
    const result = await this.session.run(feeds);
    const output = result.sentence_embedding!;
    const data = output.data as Float32Array;
    output.dispose();
    return data;
  }

  async release(): Promise<void> {
    try {
      await this.session.release();
    } finally {
      if (this.directory !== undefined) await fs.rm(this.directory, { recursive: true, force: true });
    }
  }
}

export interface EngineChoice {
  engine?: EngineName;
  /** onnxruntime's intra-op threads; its default uses every physical core. */
  threads?: number;
  log?: (line: string) => void;
  loader?: RuntimeLoader;
}

/**
 * Runs `work` with the encoder's forward-only passes (`encode`) on the chosen engine, built from
 * the weights as they are at the call: evaluation during training calls this again each time, so
 * it never sees stale weights. With `engine: "onnx"` (the default) and onnxruntime unable to
 * load, or unable to build this model's session, it logs one line and runs on tfjs.
 */
export async function withForwardEngine<T>(
  encoder: SentenceEncoder,
  choice: EngineChoice,
  work: () => Promise<T>,
): Promise<T> {
  if ((choice.engine ?? "onnx") === "tfjs" || encoder.engine !== undefined) return work();
  const problem = sentenceGraphProblem(encoder);
  const runtime = problem === undefined ? await loadOnnxRuntime(choice.loader) : new Error(problem);
  if (runtime instanceof Error) {
    if (!warned || choice.loader !== undefined)
      (choice.log ?? ((line) => process.stderr.write(`${line}\n`)))(fallbackMessage(runtime));
    warned = true;
    return work();
  }
  let engine: OnnxEngine;
  try {
    engine = await OnnxEngine.create(encoder, runtime, choice.threads);
  } catch (error) {
    // A session onnxruntime refuses, or a full disk under a large model's temporary files:
    // the passes still run, on tfjs, and the log says why.
    const reason = error instanceof Error ? error : new Error(String(error));
    (choice.log ?? ((line) => process.stderr.write(`${line}\n`)))(
      `engine: onnx could not be built (${reason.message.split("\n")[0]!.trim()}); forward passes run on tfjs`,
    );
    return work();
  }
  encoder.engine = engine;
  try {
    return await work();
  } finally {
    encoder.engine = undefined;
    await engine.release();
  }
}

/** The fallback is said once per process, not at every evaluation. */
let warned = false;
