/** `babelbed/evaluate`: STS, translation retrieval, bitext mining and teacher–student MSE. */
export { evaluateSts, type StsMetrics } from "./sts.js";
export { evaluateTranslationRetrieval, type RetrievalMetrics } from "./retrieval.js";
export { evaluateBitextMining, mineBitext, type MiningMetrics } from "./mining.js";
export { evaluateMse, type MseMetrics } from "./mse.js";
export { pearson, spearman } from "./correlation.js";
export { stsTask, retrievalTask, miningTask, mseTask, type Metrics } from "./encoder-tasks.js";
export { tasks, taskDescriptor, metricDirection } from "./tasks/registry.js";
export { defineTask, type TaskDescriptor, type MetricDescriptor, type MetricDirection } from "./tasks/descriptor.js";
export { alignmentUniformity, indexScoredPairs, type AlignmentUniformityMetrics } from "./alignment-uniformity.js";
export { describeMetric, describeMetrics, type MetricDescription } from "./metric-descriptions.js";
