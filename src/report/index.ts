export { writeRunReport, runReportHtml } from "./run-report.js";
export { writeComparisonReport, comparisonReportHtml } from "./comparison.js";
export {
  loadRunData,
  parseMetricsLog,
  type RunData,
  type RunStatus,
  type StepSummary,
  type TrainingPoint,
  type EvaluationPoint,
  type DeviceRecord,
  type RunSegment,
} from "./run-data.js";
