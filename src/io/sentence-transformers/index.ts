/**
 * A sentence-transformers directory, one file per module as in sentence-transformers'
 * own `models/`: modules.json lists the pipeline, each module keeps its settings (and
 * Dense its weights) in its own folder.
 */
export type { ModuleSpec, TransformerSpec, PoolingSpec, DenseSpec } from "./modules.js";
export type { Pooling, PoolingMode } from "../../model/pooling.js";
export {
  defaultModulePath,
  readSentenceTransformerLayout,
  validatePipeline,
  writeSentenceTransformerLayout,
} from "./pipeline.js";
export {
  defaultLibraryVersions,
  readSentenceTransformerConfig,
  writeSentenceTransformerConfig,
  type LayoutWriteOptions,
  type SentenceTransformerConfig,
  type SimilarityFunction,
} from "./config.js";
export { inferMaxSeqLength, readTransformerModule, writeTransformerModule } from "./transformer.js";
export { formatPoolingConfig, parsePoolingConfig, readPoolingModule, type PoolingConfigStyle } from "./pooling.js";
export { readDenseModule, writeDenseModule } from "./dense.js";
export { readNormalizeModule, writeNormalizeModule } from "./normalize.js";
