/** `babelbed/io`: Hugging Face and sentence-transformers directories, safetensors, tfjs export, checkpoints. */
export {
  readSafetensors,
  writeSafetensors,
  parseSafetensors,
  serializeSafetensors,
  type TensorData,
} from "./safetensors.js";
export {
  readSentenceTransformerLayout,
  writeSentenceTransformerLayout,
  type ModuleSpec,
} from "./sentence-transformers/index.js";
export { inspectModelDirectory, readModelWeights } from "./model-directory.js";
export { loadSentenceEncoder, saveSentenceEncoder } from "./encoder-checkpoint.js";
export { saveTfjsEncoder, type TfjsExportOptions, type TfjsExportSummary } from "./tfjs/layout.js";
export { writeModelCard, type CardFigure, type ModelCardFacts } from "./model-card.js";
export { loadTfjsEncoder, type TfjsEncoder, type LoadTfjsOptions } from "./tfjs/browser-entry.js";
export { loadTfjsDirectory, verifyTfjsExport } from "./tfjs/read-back.js";
export { bundleBrowserRuntime, type BrowserRuntime } from "./tfjs/bundle.js";
export { tfjsModelFormat, type TfjsModelJson, type BabelbedSection } from "./tfjs/manifest.js";
export { saveTrainingCheckpoint, loadTrainingCheckpoint, hasTrainingCheckpoint } from "./training-checkpoint.js";
export { TeacherCache, fingerprintDirectory } from "./teacher-cache.js";
export { writeNpy, parseNpy } from "./npy.js";
export {
  OnnxEngine,
  withForwardEngine,
  loadOnnxRuntime,
  engineNames,
  type EngineName,
  type EngineChoice,
} from "./onnx/engine.js";
export { writeOnnxExport, verifyOnnxExport, onnxModelPath, onnxDataPath } from "./onnx/export.js";
export type { OnnxFiles } from "./onnx/external-data.js";
export { sentenceEncoderModel, transformerModel } from "./onnx/sentence-graph.js";
export { saveFlowModule, loadFlowModule } from "./flow-module.js";
