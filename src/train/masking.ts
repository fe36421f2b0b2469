import { padBatch, type TokenBatch } from "../model/batch.js";
import { ignoredLabel } from "../losses/masked-language-model-head.js";
import type { Random } from "../util/random.js";
import type { SpecialTokenIds } from "../text/types.js";

/** The special token ids masking needs, and further ids never to predict nor to draw as replacements (e.g. `[UNK]`). */
export type MaskingTokenIds = Pick<SpecialTokenIds, "cls" | "sep" | "pad" | "mask"> & { others?: number[] };

export interface MaskingOptions {
  vocabSize: number;
  special: MaskingTokenIds;
  /** Share of the candidate tokens to predict (BERT: 0.15). */
  maskProbability?: number;
  /** Of the predicted tokens, the share replaced by `[MASK]` (BERT: 0.8)… */
  maskTokenShare?: number;
  /** …and the share replaced by a random token (BERT: 0.1); the rest is kept unchanged. */
  randomTokenShare?: number;
}

/** A masked batch: the model reads `batch`; `labels` `[batch·seq]` hold the original id where predicted, else -100. */
export interface MaskedBatch {
  batch: TokenBatch;
  labels: Int32Array;
}

/**
 * Masked language modelling (Devlin et al. 2019, §3.1) on single sentences: each sequence
 * becomes `[CLS] x [SEP]`. `sentences` hold word-piece ids without special tokens.
 */
export function maskSentences(sentences: number[][], options: MaskingOptions, random: Random): MaskedBatch {
  const { cls, sep } = options.special;
  return maskSequences(
    sentences.map((x) => ({ inputIds: [cls, ...x, sep], tokenTypeIds: new Array<number>(x.length + 2).fill(0) })),
    options,
    random,
  );
}

/**
 * Translation language modelling (Conneau & Lample 2019), which LaBSE (Feng et al. 2020)
 * pre-trains with alongside MLM: each translation pair becomes `[CLS] x [SEP] y [SEP]` with
 * token types 0 then 1, and tokens are masked on both sides, so that predicting a word may
 * draw on its translation.
 */
export function maskTranslationPairs(
  pairs: [number[], number[]][],
  options: MaskingOptions,
  random: Random,
): MaskedBatch {
  const { cls, sep } = options.special;
  return maskSequences(
    pairs.map(([x, y]) => ({
      inputIds: [cls, ...x, sep, ...y, sep],
      tokenTypeIds: [...new Array<number>(x.length + 2).fill(0), ...new Array<number>(y.length + 1).fill(1)],
    })),
    options,
    random,
  );
}

/**
 * BERT's masking of encoded sequences (special tokens already in place): in each sequence,
 * `round(p · candidates)` positions (at least one) among the non-special tokens are chosen
 * uniformly; of those, 80% become `[MASK]`, 10% a uniformly drawn non-special token, 10%
 * stay, and all are to be predicted. The count per sequence follows Google's
 * `create_pretraining_data.py`; the 80/10/10 draw is made per chosen token.
 */
export function maskSequences(
  sequences: { inputIds: number[]; tokenTypeIds: number[] }[],
  options: MaskingOptions,
  random: Random,
): MaskedBatch {
  const probability = options.maskProbability ?? 0.15;
  const maskShare = options.maskTokenShare ?? 0.8;
  const randomShare = options.randomTokenShare ?? 0.1;
  if (!(probability > 0 && probability <= 1)) throw new Error(`mask probability must be in (0, 1], got ${probability}`);
  if (!(maskShare >= 0 && randomShare >= 0 && maskShare + randomShare <= 1)) {
    throw new Error(
      `mask and random-token shares must be non-negative and sum to at most 1, got ${maskShare} and ${randomShare}`,
    );
  }
  const special = specialSet(options.special);
  const replacement = replacementDrawer(options.vocabSize, special, random);
  const labelRows: number[][] = [];
  const encodings = sequences.map(({ inputIds, tokenTypeIds }) => {
    const ids = [...inputIds];
    const labels = new Array<number>(ids.length).fill(ignoredLabel);
    const candidates: number[] = [];
    ids.forEach((id, position) => {
      if (!special.has(id)) candidates.push(position);
    });
    const count = candidates.length === 0 ? 0 : Math.max(1, Math.round(candidates.length * probability));
    for (const position of random.shuffle(candidates).slice(0, count)) {
      labels[position] = ids[position]!;
      const draw = random.next();
      if (draw < maskShare) ids[position] = options.special.mask;
      else if (draw < maskShare + randomShare) ids[position] = replacement();
    }
    labelRows.push(labels);
    return { inputIds: ids, tokenTypeIds };
  });
  const batch = padBatch(encodings, options.special.pad);
  const labels = new Int32Array(batch.batchSize * batch.length).fill(ignoredLabel);
  labelRows.forEach((row, index) => {
    labels.set(row, index * batch.length);
  });
  return { batch, labels };
}

function specialSet(special: MaskingTokenIds): Set<number> {
  return new Set([special.cls, special.sep, special.pad, special.mask, ...(special.others ?? [])]);
}

/** A uniform draw over the vocabulary without the special ids (rejection: they are few). */
function replacementDrawer(vocabSize: number, special: Set<number>, random: Random): () => number {
  let ordinary = vocabSize;
  for (const id of special) if (id >= 0 && id < vocabSize) ordinary--;
  if (ordinary <= 0) throw new Error(`the vocabulary of ${vocabSize} holds no token besides the special ones`);
  return () => {
    for (;;) {
      const id = random.integer(vocabSize);
      if (!special.has(id)) return id;
    }
  };
}
