import type { DeviceChoice } from "../device/index.js";

/** Shapes for fresh models, small enough to train from scratch on the machine the wizard runs on. */
export const modelSizes = {
  tiny: { hiddenSize: 64, layers: 1, heads: 2, intermediateSize: 128, maxSeqLength: 32 },
  small: { hiddenSize: 128, layers: 2, heads: 4, intermediateSize: 256, maxSeqLength: 64 },
  base: { hiddenSize: 256, layers: 4, heads: 4, intermediateSize: 1024, maxSeqLength: 128 },
} as const;

export type ModelSize = keyof typeof modelSizes;
export const modelSizeNames = Object.keys(modelSizes) as ModelSize[];

export const sizeHelp: Record<ModelSize, string> = {
  tiny: "hidden 64, 1 layer: a smoke test in seconds",
  small: "hidden 128, 2 layers: the quickstart's size, minutes on a laptop",
  base: "hidden 256, 4 layers: better vectors, for a GPU or native CPU",
};

export const batchSize = 16;

/**
 * Training steps (batch 16) per minute for a fresh model of each size on the wasm backend,
 * as measured by `babelbed run` on a busy two-core machine (tiny 5.9, small 1.2, base 0.2
 * steps/s). They set maxSteps so that the learning rate decays within the budget; the
 * budget itself is held by maxMinutes, whatever the machine's real speed.
 */
export const wasmStepsPerMinute: Record<ModelSize, number> = { tiny: 350, small: 70, base: 12 };

/**
 * How many times faster than wasm a backend trains these small models: cautious guesses (only
 * wasm was measured). A slower machine still stops on time (maxMinutes); a faster one reaches
 * maxSteps early.
 */
const deviceSpeedup: Record<DeviceChoice, number> = { auto: 1, wasm: 1, js: 0.25, cpu: 1.5, gpu: 2 };

export function stepsPerMinute(size: ModelSize, device: DeviceChoice): number {
  return wasmStepsPerMinute[size] * deviceSpeedup[device];
}

/**
 * Epochs when the user gives none: small corpora need many passes for a fresh model,
 * large ones get enough steps from one.
 */
export function defaultEpochs(rows: number): number {
  if (rows < 5_000) return 20;
  if (rows < 50_000) return 3;
  return 1;
}

/** The teacher's passes over its (English) data: the quickstart's 6 on small files. */
export function defaultTeacherEpochs(rows: number): number {
  if (rows < 5_000) return 6;
  if (rows < 50_000) return 2;
  return 1;
}

/** A WordPiece vocabulary that a corpus of this many pairs can fill, and the count a word needs to get in. */
export function vocabularyFor(pairs: number): { size: number; minFrequency: number } {
  if (pairs < 5_000) return { size: 6_000, minFrequency: 1 };
  if (pairs < 100_000) return { size: 16_000, minFrequency: 2 };
  return { size: 32_000, minFrequency: 2 };
}
