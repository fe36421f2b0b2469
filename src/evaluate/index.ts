/** `babelbed/evaluate`: STS, translation retrieval, bitext mining and teacher–student MSE. */
export { evaluateSts, type StsMetrics } from "./sts.js";
export { evaluateTranslationRetrieval, type RetrievalMetrics } from "./retrieval.js";
export { evaluateBitextMining, mineBitext, type MiningMetrics } from "./mining.js";
export { evaluateMse, type MseMetrics } from "./mse.js";
export { pearson, spearman } from "./correlation.js";
export { stsTask, retrievalTask, miningTask, mseTask, type Metrics } from "./encoder-tasks.js";
