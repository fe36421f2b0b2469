import type * as tf from "@tensorflow/tfjs";
import type { TransformerConfig } from "../model/config.js";
import type { EmbeddingTable } from "../model/embedding.js";
import { growTransformer } from "../model/stacking.js";
import { Transformer } from "../model/transformer.js";
import { MaskedLanguageModelHead } from "../losses/masked-language-model-head.js";
import { Random } from "../util/random.js";
import { AdamW, type EmbeddingUpdate } from "./adamw.js";
import { warmupStepsFor } from "./schedule.js";
import { BatchCycle, hashSeed } from "./epoch-order.js";
import { MaskedLanguageModel } from "./objectives/masked-language-model.js";
import { maskSentences, maskTranslationPairs, type MaskedBatch, type MaskingTokenIds } from "./masking.js";
import type { Resumable } from "./resumable.js";
import { trainingStep } from "./training-step.js";

/** Word-piece ids without special tokens: single sentences for MLM, translation pairs for TLM. */
export interface PretrainingData {
  sentences: number[][];
  pairs: [number[], number[]][];
}

/** One stage of progressive stacking: train a `layers`-deep encoder for `steps` steps. */
export interface PretrainingStage {
  layers: number;
  steps: number;
}

export interface PretrainingOptions {
  /** The full model's shape; each stage uses it with its own layer count. */
  config: TransformerConfig;
  stages: PretrainingStage[];
  special: MaskingTokenIds;
  batchSize: number;
  learningRate: number;
  warmupRatio: number;
  weightDecay: number;
  maxGradNorm: number;
  maskProbability: number;
  seed: number;
  /** How AdamW steps the word-embedding table; "exact" unless given. */
  optimizer?: { embeddings?: EmbeddingUpdate };
}

export interface PretrainingRecord {
  /** 1-based stage and its layer count. */
  stage: number;
  layers: number;
  /** 1-based step, counted over all stages and within the stage. */
  step: number;
  stageStep: number;
  task: "mlm" | "tlm";
  loss: number;
  learningRate: number;
  gradientNorm: number;
  seconds: number;
}

export function validateStages(stages: PretrainingStage[], totalLayers: number): void {
  if (stages.length === 0) throw new Error("pre-training needs at least one stage");
  stages.forEach((stage, index) => {
    if (index > 0 && stage.layers <= stages[index - 1]!.layers)
      throw new Error(
        `pre-training stage ${index + 1}: layers must grow, ${stages[index - 1]!.layers} → ${stage.layers}`,
      );
  });
  if (stages.at(-1)!.layers !== totalLayers)
    throw new Error(`the last pre-training stage has ${stages.at(-1)!.layers} layers, the model ${totalLayers}`);
}

export interface PretrainingState {
  step: number;
  masking: number[];
  dropout: number[];
}

/**
 * LaBSE's pre-training (Feng et al. 2020, §3.2): MLM on single sentences and TLM on
 * translation pairs, one batch of each in turn, with progressive stacking (Gong et al.
 * 2019): each stage trains a deeper copy of the last, grown with `growTransformer`, under
 * a fresh AdamW (the grown parameters are new) and its own warm-up/linear-decay schedule.
 * The MLM head carries over, its shapes do not depend on depth.
 *
 * Everything but the weights, the optimizer and two generators follows from the step, so
 * a checkpoint restores the encoder at the depth of the stage it was taken in.
 */
export class Pretrainer implements Resumable<PretrainingState> {
  step = 0;
  readonly totalSteps: number;
  readonly tasks: ("mlm" | "tlm")[];
  private stageIndex = 0;
  private transformer: Transformer;
  private readonly head: MaskedLanguageModelHead;
  private model: MaskedLanguageModel;
  private stageOptimizer: AdamW;
  private readonly sentences: BatchCycle<number[]>;
  private readonly pairs: BatchCycle<[number[], number[]]>;
  private readonly masking: Random;
  private readonly dropout: Random;
  private handedOver = false;

  constructor(
    readonly data: PretrainingData,
    readonly options: PretrainingOptions,
  ) {
    validateStages(options.stages, options.config.numHiddenLayers);
    if (data.sentences.length === 0 && data.pairs.length === 0) throw new Error("pre-training has no data");
    this.tasks = [
      ...(data.sentences.length > 0 ? ["mlm" as const] : []),
      ...(data.pairs.length > 0 ? ["tlm" as const] : []),
    ];
    this.totalSteps = options.stages.reduce((sum, stage) => sum + stage.steps, 0);
    this.sentences = new BatchCycle(data.sentences, hashSeed(options.seed, 1));
    this.pairs = new BatchCycle(data.pairs, hashSeed(options.seed, 2));
    this.masking = new Random(hashSeed(options.seed, 3));
    this.dropout = new Random(hashSeed(options.seed, 4));
    this.head = MaskedLanguageModelHead.initialize(options.config, options.seed + 1);
    this.transformer = Transformer.initialize(
      { ...options.config, numHiddenLayers: options.stages[0]!.layers },
      options.seed,
    );
    this.model = new MaskedLanguageModel(this.transformer, this.head);
    this.stageOptimizer = this.newOptimizer();
  }

  get optimizer(): AdamW {
    return this.stageOptimizer;
  }

  /** The 0-based stage of a 0-based step, and the step's index within it. */
  stageAt(step: number): { stage: number; stageStep: number } {
    let first = 0;
    for (const [stage, { steps }] of this.options.stages.entries()) {
      if (step < first + steps) return { stage, stageStep: step - first };
      first += steps;
    }
    throw new Error(`step ${step} is past the last pre-training stage`);
  }

  trainStep(): PretrainingRecord {
    return trainingStep(this, () => {
      const { stage, stageStep } = this.stageAt(this.step);
      if (stage !== this.stageIndex) this.grow(stage);
      const { layers, steps } = this.options.stages[stage]!;
      const task = this.tasks[this.step % this.tasks.length]!;
      // Batches of a task so far: its steps before this one, as tasks take turns.
      const batchIndex = Math.floor(this.step / this.tasks.length);
      const { options } = this;
      const maskingOptions = {
        vocabSize: options.config.vocabSize,
        special: options.special,
        maskProbability: options.maskProbability,
      };
      const masked: MaskedBatch =
        task === "mlm"
          ? maskSentences(this.sentences.batch(batchIndex, options.batchSize), maskingOptions, this.masking)
          : maskTranslationPairs(this.pairs.batch(batchIndex, options.batchSize), maskingOptions, this.masking);
      return {
        lossName: task,
        // Each stage warms up and decays over its own steps.
        schedule: {
          name: "warmup-linear",
          learningRate: options.learningRate,
          warmupSteps: warmupStepsFor(steps, options.warmupRatio),
          totalSteps: steps,
        },
        scheduleStep: stageStep,
        gradients: () => this.model.gradients(masked.batch, masked.labels, { training: true, random: this.dropout }),
        record: { stage: stage + 1, layers, stageStep: stageStep + 1, task },
      };
    });
  }

  parameters(): Map<string, tf.Variable> {
    return this.model.trainableParameters();
  }

  sparseTables(): EmbeddingTable[] {
    return this.model.sparseTables();
  }

  state(): PretrainingState {
    return { step: this.step, masking: this.masking.saveState(), dropout: this.dropout.saveState() };
  }

  restore(state: PretrainingState): void {
    this.step = state.step;
    this.masking.restoreState(state.masking);
    this.dropout.restoreState(state.dropout);
    // The checkpoint holds the encoder of the stage of its last step; its weights load next.
    const stage = state.step === 0 ? 0 : this.stageAt(state.step - 1).stage;
    if (stage !== this.stageIndex) {
      this.replaceTransformer(
        Transformer.initialize(
          { ...this.options.config, numHiddenLayers: this.options.stages[stage]!.layers },
          this.options.seed,
        ),
      );
      this.stageIndex = stage;
    }
  }

  /** The trained encoder, which the caller now owns and disposes. */
  takeTransformer(): Transformer {
    this.handedOver = true;
    return this.transformer;
  }

  dispose(): void {
    this.stageOptimizer.dispose();
    this.head.dispose();
    if (!this.handedOver) this.transformer.dispose();
  }

  private grow(stage: number): void {
    this.replaceTransformer(growTransformer(this.transformer, this.options.stages[stage]!.layers));
    this.stageIndex = stage;
  }

  private replaceTransformer(transformer: Transformer): void {
    this.transformer.dispose();
    this.transformer = transformer;
    this.model = new MaskedLanguageModel(transformer, this.head);
    this.stageOptimizer.dispose();
    this.stageOptimizer = this.newOptimizer();
  }

  private newOptimizer(): AdamW {
    return new AdamW({
      learningRate: this.options.learningRate,
      weightDecay: this.options.weightDecay,
      embeddings: this.options.optimizer?.embeddings,
    });
  }
}
