/**
 * babelbed: teach sentence-embedding models new languages.
 *
 * The names most programs need; everything else is one subpath away, by layer:
 * `babelbed/text`, `babelbed/model`, `babelbed/losses`, `babelbed/train`, `babelbed/data`,
 * `babelbed/evaluate`, `babelbed/io`, `babelbed/recipes`, `babelbed/report`, `babelbed/device`.
 */

// Encoding sentences.
export { SentenceEncoder, type EncodeOptions } from "./model/sentence-encoder.js";
export type { TransformerConfig } from "./model/config.js";
export type { Pooling, PoolingMode } from "./model/pooling.js";
export { loadTokenizer, type Tokenizer } from "./text/index.js";
export { selectDevice, type DeviceChoice, type DeviceInfo } from "./device/index.js";

// Models on disk: Hugging Face and sentence-transformers directories, the browser.
export { loadSentenceEncoder, saveSentenceEncoder } from "./io/encoder-checkpoint.js";
export { readSentenceTransformerLayout, type ModuleSpec } from "./io/sentence-transformers/index.js";
export { saveTfjsEncoder, type TfjsExportOptions } from "./io/tfjs/layout.js";
export { loadTfjsEncoder, type TfjsEncoder } from "./io/tfjs/browser-entry.js";
export { readSafetensors, writeSafetensors } from "./io/safetensors.js";

// Training.
export { Trainer, type TrainerOptions, type StepRecord } from "./train/trainer.js";
export type { TrainingObjective } from "./train/objectives/objective.js";
export { ClassificationObjective } from "./train/objectives/classification.js";
export { RegressionObjective } from "./train/objectives/regression.js";
export { TripletObjective } from "./train/objectives/triplet.js";
export { DistillationObjective } from "./train/objectives/distillation.js";
export { Pretrainer } from "./train/pretraining.js";
export { DualEncoderTrainer } from "./train/dual-encoder.js";
export { AdamW, type AdamWOptions } from "./train/adamw.js";
export { openDataSource, type DataSource } from "./data/index.js";

// Evaluation.
export {
  evaluateSts,
  evaluateTranslationRetrieval,
  evaluateBitextMining,
  evaluateMse,
  spearman,
} from "./evaluate/index.js";

// Recipes and reports.
export {
  loadRecipe,
  parseRecipe,
  runRecipe,
  recipeSchema,
  composeRecipe,
  type Recipe,
  type RunOptions,
  type RunOutcome,
} from "./recipes/index.js";
export { writeRunReport, writeComparisonReport } from "./report/index.js";

export { Random } from "./util/random.js";
export { BabelbedError } from "./util/errors.js";
