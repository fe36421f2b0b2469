import { readFileSync } from "node:fs";
import * as path from "node:path";
import { padBatch, type TokenBatch } from "../../src/model/batch.js";
import type { SentenceEncoder } from "../../src/model/sentence-encoder.js";
import { fixturesRoot, maxAbsDifference, type Expected } from "./fixtures.js";

// Hub architectures and pooling modes against sentence-transformers 6.0.1 itself (see ../shared/fixtures/README.md).
// Token ids are the fixture's own, so these tests hold the model to the reference whatever the tokenizer does.
export const hubFixtures = ["tiny-mpnet", "tiny-distilbert", "tiny-bert-pooling", "tiny-xlmr"] as const;

export function loadHubExpected(name: string): Expected {
  return JSON.parse(readFileSync(path.join(fixturesRoot, name, "expected.json"), "utf8"));
}

/** The fixture's sentences `[from, to)` as one right-padded batch of its own ids. */
export function fixtureBatch(encoder: SentenceEncoder, expected: Expected, from: number, to: number): TokenBatch {
  const sentences = (expected.sentences as { input_ids: number[] }[]).slice(from, to);
  return padBatch(
    sentences.map((sentence) => ({ inputIds: sentence.input_ids, tokenTypeIds: sentence.input_ids.map(() => 0) })),
    encoder.tokenizer.special.pad,
  );
}

/** Largest difference between the encoder's vectors for the fixture's ids and `expected.embeddings`, batches of 8. */
export function embeddingDifference(encoder: SentenceEncoder, expected: Expected): number {
  let worst = 0;
  for (let start = 0; start < expected.sentences.length; start += 8) {
    const vectors = encoder.forward(fixtureBatch(encoder, expected, start, start + 8));
    worst = Math.max(worst, maxAbsDifference(vectors.arraySync(), expected.embeddings.slice(start, start + 8)));
    vectors.dispose();
  }
  return worst;
}
