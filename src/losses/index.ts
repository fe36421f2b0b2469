/** `babelbed/losses`: the loss functions the objectives are built on, one file each. */
export { SoftmaxClassifier, crossEntropy } from "./softmax.js";
export { cosineSimilarityLoss, rowCosine } from "./cosine-similarity.js";
export { tripletLoss } from "./triplet.js";
export { mseLoss } from "./mse.js";
export { additiveMarginLoss, type AdditiveMarginOptions } from "./additive-margin.js";
export { MaskedLanguageModelHead } from "./masked-language-model-head.js";
export { multipleNegativesRankingLoss, type MultipleNegativesOptions } from "./multiple-negatives-ranking.js";
export { simcseLoss, type SimcseOptions } from "./simcse.js";
