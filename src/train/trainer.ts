import type * as tf from "@tensorflow/tfjs";
import type { EmbeddingTable, SparseLookup } from "../model/embedding.js";
import { Random } from "../util/random.js";
import { AdamW, type AdamWOptions } from "./adamw.js";
import { EpochOrders } from "./epoch-order.js";
import { computeGradients, type Trainable } from "./gradients.js";
import type { TrainingObjective } from "./objectives/objective.js";
import type { Resumable } from "./resumable.js";
import { warmupStepsFor, type ScheduleName } from "./schedule.js";
import { trainLoop, type LoopOutcome } from "./train-loop.js";
import { trainingStep } from "./training-step.js";

export interface TrainerOptions {
  batchSize: number;
  /** Passes over the smallest objective's data; `maxSteps` overrides it. */
  epochs: number;
  maxSteps?: number;
  learningRate: number;
  /** Steps of linear warm-up; or give `warmupRatio`, a share of all steps. */
  warmupSteps?: number;
  warmupRatio?: number;
  schedule?: ScheduleName;
  weightDecay?: number;
  maxGradNorm?: number;
  seed: number;
  evaluateEvery?: number;
  checkpointEvery?: number;
}

export interface StepRecord {
  step: number;
  epoch: number;
  objective: string;
  loss: number;
  learningRate: number;
  gradientNorm: number;
  seconds: number;
}

/** Where the trainer reaches the layers above it: evaluation, checkpoints, logging, interrupts. */
export interface TrainerHooks {
  onStep?(record: StepRecord, totalSteps: number): void;
  evaluate?(step: number): Promise<Record<string, number>>;
  saveCheckpoint?(trainer: Trainer, reason: "scheduled" | "interrupted" | "final"): Promise<void>;
  /** Polled after every step; true makes the trainer checkpoint and stop (Ctrl-C). */
  shouldStop?(): boolean;
}

export interface TrainerState {
  step: number;
  random: number[];
}

/**
 * The training loop of sentence-transformers' `fit`: objectives take turns, one batch each
 * (round robin), an epoch ends when the smallest objective's data is used up; AdamW with
 * warm-up and linear decay, no decay on biases and LayerNorm, global-norm clipping.
 *
 * The batch order is a pure function of (seed, epoch, objective), and the only other state
 * (the dropout generator, the optimizer, the weights) is checkpointed, so an interrupted run
 * that resumes ends exactly where an uninterrupted one would.
 */
export class Trainer implements Resumable<TrainerState> {
  readonly optimizer: AdamW;
  readonly random: Random;
  step = 0;
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
  readonly warmupSteps: number;
  /** Each objective's example order per epoch: `epochOrder(size, seed, epoch, objective index)`. */
  private readonly orders: EpochOrders;

  constructor(
    readonly model: Trainable & { sparseIds(batches: { inputIds: Int32Array }[]): Map<EmbeddingTable, Int32Array[]> },
    readonly objectives: TrainingObjective[],
    readonly options: TrainerOptions,
    optimizerOptions: Partial<AdamWOptions> = {},
  ) {
    if (objectives.length === 0) throw new Error("training needs at least one objective");
    const batchesPerObjective = Math.min(
      ...objectives.map((objective) => Math.floor(objective.size / options.batchSize)),
    );
    if (batchesPerObjective === 0) {
      const smallest = objectives.reduce((a, b) => (a.size <= b.size ? a : b));
      throw new Error(
        `objective ${smallest.name} has ${smallest.size} examples, fewer than one batch of ${options.batchSize}`,
      );
    }
    this.stepsPerEpoch = batchesPerObjective * objectives.length;
    this.totalSteps = options.maxSteps ?? Math.ceil(options.epochs * this.stepsPerEpoch);
    this.warmupSteps = options.warmupSteps ?? warmupStepsFor(this.totalSteps, options.warmupRatio ?? 0);
    this.optimizer = new AdamW({
      learningRate: options.learningRate,
      weightDecay: options.weightDecay ?? 0.01,
      ...optimizerOptions,
    });
    this.random = new Random(options.seed ^ 0x5bd1e995);
    this.orders = new EpochOrders(options.seed);
  }

  /** Every trainable variable: the encoder's and the objectives' heads. */
  parameters(): Map<string, tf.Variable> {
    const parameters = new Map(this.model.trainableParameters());
    for (const objective of this.objectives)
      for (const [name, variable] of objective.parameters()) parameters.set(name, variable);
    return parameters;
  }

  /** The examples of step `step`: objective `step mod n`, from that objective's permutation for the epoch. */
  batchAt(step: number): { objective: TrainingObjective; indices: number[]; epoch: number } {
    const epoch = Math.floor(step / this.stepsPerEpoch);
    const within = step % this.stepsPerEpoch;
    const objectiveIndex = within % this.objectives.length;
    const batchIndex = Math.floor(within / this.objectives.length);
    const objective = this.objectives[objectiveIndex]!;
    const order = this.orders.of(objective.size, epoch, objectiveIndex);
    const indices = order.slice(batchIndex * this.options.batchSize, (batchIndex + 1) * this.options.batchSize);
    return { objective, indices, epoch };
  }

  /** One optimizer step; returns its record. */
  trainStep(): StepRecord {
    return trainingStep(this, () => {
      const { objective, indices, epoch } = this.batchAt(this.step);
      const prepared = objective.prepare(indices);
      const parameters = this.parameters();
      const trainable = { trainableParameters: () => parameters, sparseTables: () => this.model.sparseTables() };
      const { options } = this;
      return {
        lossName: objective.name,
        schedule: {
          name: options.schedule ?? "warmup-linear",
          learningRate: options.learningRate,
          warmupSteps: this.warmupSteps,
          totalSteps: this.totalSteps,
        },
        gradients: () =>
          computeGradients(trainable, this.model.sparseIds(prepared.batches), (sparse: SparseLookup) =>
            prepared.loss(sparse, { training: true, random: this.random }),
          ),
        record: { epoch, objective: objective.name },
      };
    });
  }

  /** Train to `totalSteps`, from wherever `step` stands (0, or a restored checkpoint). */
  async train(hooks: TrainerHooks = {}): Promise<LoopOutcome> {
    const { saveCheckpoint } = hooks;
    return trainLoop(this, this.options, {
      ...hooks,
      saveCheckpoint: saveCheckpoint && ((reason) => saveCheckpoint(this, reason)),
    });
  }

  sparseTables(): EmbeddingTable[] {
    return this.model.sparseTables();
  }

  state(): TrainerState {
    return { step: this.step, random: this.random.saveState() };
  }

  restore(state: TrainerState): void {
    this.step = state.step;
    this.random.restoreState(state.random);
  }

  dispose(): void {
    this.optimizer.dispose();
    for (const objective of this.objectives) objective.dispose();
  }
}
