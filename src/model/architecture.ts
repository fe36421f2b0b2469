import { bertBlock, blockShapes, type Architecture } from "./blocks.js";
import type { TransformerConfig } from "./config.js";
import { distilbert } from "./distilbert.js";
import { mpnet } from "./mpnet.js";

export type { Architecture, BlockNames, RelativeAttentionBias } from "./blocks.js";

const bert: Architecture = {
  className: "BertModel",
  parameterShapes: (config) => blockShapes(config, bertBlock, { tokenTypes: true, pooler: true }),
  block: bertBlock,
  wordPaddingIndex: (config) => config.padTokenId,
  frozen: (name) => name.startsWith("pooler."),
};

const architectures: Record<TransformerConfig["modelType"], Architecture> = {
  bert,
  roberta: { ...bert, className: "RobertaModel" },
  "xlm-roberta": { ...bert, className: "XLMRobertaModel" },
  mpnet,
  distilbert,
};

export function architectureOf(config: TransformerConfig): Architecture {
  return architectures[config.modelType];
}
