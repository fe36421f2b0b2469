import { SentenceEncoder } from "../../src/model/sentence-encoder.js";
import type { PoolingMode } from "../../src/model/pooling.js";
import { Transformer } from "../../src/model/transformer.js";
import { trainWordPiece, WordPieceTokenizer } from "../../src/text/index.js";
import { tinyConfig } from "./tiny.js";

export const tinySentences = [
  "the cat sits on the mat",
  "a dog runs in the park",
  "the weather is sunny today",
  "it is raining in the city",
  "she reads a book at night",
  "he cooks dinner for his family",
  "the children play football after school",
  "we travel to the mountains in summer",
  "the train leaves at seven",
  "my brother works in a hospital",
  "they sing songs by the fire",
  "the market sells fresh fruit",
];

/** A small encoder with a vocabulary trained on `sentences`, for tests that need real tokenization. */
export async function tinyEncoder(
  seed = 1,
  options: { pooling?: PoolingMode; normalize?: boolean; sentences?: string[] } = {},
): Promise<SentenceEncoder> {
  const vocab = await trainWordPiece(options.sentences ?? tinySentences, { vocabSize: 120, minFrequency: 1 });
  const tokenizer = new WordPieceTokenizer(vocab, { lowercase: true });
  const transformer = Transformer.initialize(
    tinyConfig({ vocabSize: vocab.length, initializerRange: 0.02, maxPositionEmbeddings: 32 }),
    seed,
  );
  return new SentenceEncoder({
    tokenizer,
    transformer,
    maxSeqLength: 24,
    pooling: options.pooling ?? "mean",
    normalize: options.normalize,
  });
}
