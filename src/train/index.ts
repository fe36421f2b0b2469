/** `babelbed/train`: objectives, the optimizer and the training loops. */
export { AdamW, noDecayOnBiasAndLayerNorm, type AdamWOptions, type EmbeddingUpdate } from "./adamw.js";
export { clipGlobalNorm } from "./clip.js";
export { learningRateAt, type ScheduleName, type ScheduleOptions } from "./schedule.js";
export { computeGradients, type Gradients, type Trainable, type RowGradient } from "./gradients.js";
export { Trainer, type TrainerOptions, type TrainerHooks, type StepRecord } from "./trainer.js";
export type { TrainingObjective, PreparedBatch } from "./objectives/objective.js";
export { ClassificationObjective } from "./objectives/classification.js";
export { RegressionObjective } from "./objectives/regression.js";
export { TripletObjective } from "./objectives/triplet.js";
export { DistillationObjective, type DistillationExample } from "./objectives/distillation.js";
export { MaskedLanguageModel } from "./objectives/masked-language-model.js";
export { maskSentences, maskTranslationPairs, maskSequences } from "./masking.js";
export { cachedContrastiveGradients, splitBatch } from "./gradient-cache.js";
export {
  Pretrainer,
  validateStages,
  type PretrainingData,
  type PretrainingOptions,
  type PretrainingStage,
  type PretrainingRecord,
} from "./pretraining.js";
export { DualEncoderTrainer, type DualEncoderOptions, type DualEncoderRecord } from "./dual-encoder.js";
export { trainLoop, type LoopHooks, type LoopSchedule, type LoopOutcome } from "./train-loop.js";
export { TimeBudget } from "./time-budget.js";
export type { Resumable } from "./resumable.js";
export { epochOrder } from "./epoch-order.js";
export { trainingStep } from "./training-step.js";
export { objectives, objectiveDescriptor } from "./objectives/registry.js";
export { defineObjective, type ObjectiveDescriptor, type ObjectiveBuildContext } from "./objectives/descriptor.js";
export {
  SimcseObjective,
  MultipleNegativesObjective,
  nliTriplets,
  type ContrastiveExample,
} from "./objectives/contrastive.js";
export { fitFlow } from "./flow-fitting.js";
export { warmupStepsFor } from "./schedule.js";
