import type * as tf from "@tensorflow/tfjs";
import type { EmbeddingTable } from "../model/embedding.js";
import type { AdamW } from "./adamw.js";

/**
 * A training loop whose whole state can be saved between two steps and restored into a
 * fresh loop built the same way: its variables by stable names, its row-blocked tables,
 * its optimizer's moments, and the rest (step counter, generator states) as JSON.
 *
 * Batch orders are pure functions of the seed and the step, so the JSON stays small and a
 * resumed run takes exactly the batches an uninterrupted one would.
 */
export interface Resumable<State extends object> {
  step: number;
  readonly totalSteps: number;
  readonly optimizer: AdamW;
  parameters(): Map<string, tf.Variable>;
  sparseTables(): EmbeddingTable[];
  state(): State;
  /**
   * Called before the tensors are loaded, so a loop whose shape depends on the step (a
   * stacked encoder grows by stages) can rebuild itself to the shape the checkpoint holds.
   */
  restore(state: State): void;
}
