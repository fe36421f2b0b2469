/** `babelbed/model`: the encoder, its configuration, pooling and modules. */
export {
  defaultConfig,
  configFromJson,
  configToJson,
  positionOffset,
  positionIds,
  modelTypes,
  type ModelType,
  type TransformerConfig,
} from "./config.js";
export { Transformer, parameterShapes, type ForwardOptions } from "./transformer.js";
export {
  SentenceEncoder,
  type SentenceEncoderParts,
  type SentenceTokenizer,
  type EncodeOptions,
} from "./sentence-encoder.js";
export { pool, poolingModes, poolingList, type Pooling, type PoolingMode } from "./pooling.js";
export { architectureOf, type Architecture, type BlockNames } from "./architecture.js";
export { relativePositionBucket } from "./mpnet.js";
export { sinusoidalTable } from "./distilbert.js";
export { Dense, type DenseActivation } from "./dense.js";
export { EmbeddingTable, SparseRows, type SparseLookup } from "./embedding.js";
export { padBatch, batchFromRows, type TokenBatch, type EncodedText } from "./batch.js";
export { growTransformer, stackingSchedule } from "./stacking.js";
export type { TransformerWeights, LayerWeights, EmbeddingWeights } from "./weights.js";
export type { LinearWeights, LayerNormWeights } from "./layers.js";
export { fitWhitening, whiteningDense, type WhiteningFit, type WhiteningOptions } from "./whitening.js";
export { Flow, type FlowConfig } from "./flow.js";
