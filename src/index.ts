/**
 * babelbed: teach sentence-embedding models new languages.
 * The public API, by layer: text → model → objectives → train → evaluate → io → recipes.
 */
export * from "./text/index.js";

export { selectDevice, describeDevice, withBackend, registerWasmKernels, registeredKernels, deviceChoices } from "./device/index.js";
export type { Device, DeviceChoice, DeviceInfo, SelectDeviceOptions } from "./device/index.js";

export { defaultConfig, configFromJson, configToJson, positionOffset, positionIds, modelTypes, type ModelType, type TransformerConfig } from "./model/config.js";
export { Transformer, parameterShapes, type ForwardOptions } from "./model/transformer.js";
export { SentenceEncoder, type SentenceEncoderParts, type SentenceTokenizer, type EncodeOptions as SentenceEncodeOptions } from "./model/sentence-encoder.js";
export { pool, poolingModes, poolingList, type Pooling, type PoolingMode } from "./model/pooling.js";
export { architectureOf, type Architecture, type BlockNames } from "./model/architecture.js";
export { relativePositionBucket } from "./model/mpnet.js";
export { sinusoidalTable } from "./model/distilbert.js";
export { Dense, type DenseActivation } from "./model/dense.js";
export { EmbeddingTable, SparseRows, type SparseLookup } from "./model/embedding.js";
export { padBatch, batchFromRows, type TokenBatch, type EncodedText } from "./model/batch.js";
export { growTransformer, stackingSchedule } from "./model/stacking.js";

export { SoftmaxClassifier, crossEntropy } from "./losses/softmax.js";
export { cosineSimilarityLoss, rowCosine } from "./losses/cosine-similarity.js";
export { tripletLoss } from "./losses/triplet.js";
export { mseLoss } from "./losses/mse.js";
export { additiveMarginLoss, type AdditiveMarginOptions } from "./losses/additive-margin.js";
export { MaskedLanguageModelHead } from "./losses/masked-language-model-head.js";
export { MaskedLanguageModel } from "./train/objectives/masked-language-model.js";

export { AdamW, noDecayOnBiasAndLayerNorm, type AdamWOptions, type EmbeddingUpdate } from "./train/adamw.js";
export { clipGlobalNorm } from "./train/clip.js";
export { learningRateAt, type ScheduleName, type ScheduleOptions } from "./train/schedule.js";
export { computeGradients, addGradients, disposeGradients, type Gradients, type Trainable, type RowGradient } from "./train/gradients.js";
export { Trainer, type TrainerOptions, type TrainerHooks, type StepRecord } from "./train/trainer.js";
export type { TrainingObjective, PreparedBatch } from "./train/objectives/objective.js";
export { ClassificationObjective, RegressionObjective, TripletObjective } from "./train/objectives/siamese.js";
export { DistillationObjective, type DistillationExample } from "./train/objectives/distillation.js";
export { maskSentences, maskTranslationPairs, maskSequences } from "./train/masking.js";
export { cachedContrastiveGradients, splitBatch } from "./train/gradient-cache.js";
export { Pretrainer, validateStages, type PretrainingData, type PretrainingOptions, type PretrainingStage, type PretrainingRecord } from "./train/pretraining.js";
export { DualEncoderTrainer, type DualEncoderOptions, type DualEncoderRecord } from "./train/dual-encoder.js";
export { trainLoop, type LoopHooks, type LoopSchedule, type LoopOutcome } from "./train/train-loop.js";
export { TimeBudget } from "./train/time-budget.js";
export type { Resumable } from "./train/resumable.js";

export { openDataSource, DataReader, normalizeScore, type ScoredPair, type LabelledPair, type Triplet, type ParallelPair } from "./data/rows.js";
export { dataSourceSchema, type DataSource } from "./data/source.js";
export { heldOutIndices, shuffled, splitHeldOut } from "./data/shuffle.js";

export { evaluateSts, type StsMetrics } from "./evaluate/sts.js";
export { evaluateTranslationRetrieval, type RetrievalMetrics } from "./evaluate/retrieval.js";
export { evaluateBitextMining, mineBitext, type MiningMetrics } from "./evaluate/mining.js";
export { evaluateMse, type MseMetrics } from "./evaluate/mse.js";
export { pearson, spearman } from "./evaluate/correlation.js";
export { stsTask, retrievalTask, miningTask, mseTask, type Metrics } from "./evaluate/encoder-tasks.js";

export { readSafetensors, writeSafetensors, parseSafetensors, serializeSafetensors, type TensorData } from "./io/safetensors.js";
export { readSentenceTransformerLayout, writeSentenceTransformerLayout, type ModuleSpec } from "./io/sentence-transformers/index.js";
export { inspectModelDirectory, readModelWeights } from "./io/model-directory.js";
export { loadSentenceEncoder, saveSentenceEncoder } from "./io/encoder-checkpoint.js";
export { saveTfjsEncoder, type TfjsExportOptions, type TfjsExportSummary } from "./io/tfjs/layout.js";
export { writeModelCard, type ModelCardFacts } from "./io/model-card.js";
export { loadTfjsEncoder, type TfjsEncoder, type LoadTfjsOptions } from "./io/tfjs/browser-entry.js";
export { loadTfjsDirectory, verifyTfjsExport } from "./io/tfjs/read-back.js";
export { bundleBrowserRuntime, type BrowserRuntime } from "./io/tfjs/bundle.js";
export { checkModelJson, tfjsModelFormat, type TfjsModelJson, type BabelbedSection } from "./io/tfjs/manifest.js";
export { saveTrainingCheckpoint, loadTrainingCheckpoint, hasTrainingCheckpoint } from "./io/training-checkpoint.js";
export { TeacherCache, fingerprintDirectory } from "./io/teacher-cache.js";
export { writeNpy, parseNpy } from "./io/npy.js";

export { recipeSchema, type Recipe, type RecipeStep } from "./recipes/schema.js";
export { loadRecipe, parseRecipe } from "./recipes/load.js";
export { runRecipe, type RunOptions, type RunOutcome } from "./recipes/run.js";
export { composeRecipe, type WizardAnswers, type ComposedRecipe } from "./recipes/compose.js";
export { checkModelWidths, directoryWidth } from "./recipes/widths.js";
export { findLanguage, languages, parseLanguages, type Language } from "./recipes/languages.js";
export { writeRunReport, writeComparisonReport, runReportHtml, comparisonReportHtml, loadRunData, type RunData } from "./report/index.js";

export { Random } from "./util/random.js";
export { BabelbedError } from "./util/errors.js";
