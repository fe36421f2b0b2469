import { z } from "zod";
import { BabelbedError } from "../../util/errors.js";
import { MultipleNegativesObjective, nliTriplets } from "./contrastive.js";
import { defineObjective } from "./descriptor.js";

const settings = {
  scale: z
    .number()
    .positive()
    .default(20)
    .describe("multiplies the cosine similarities (1 / temperature; sentence-transformers and SimCSE: 20)"),
  symmetric: z.boolean().default(false).describe("also rank the anchors for each positive, and average the two losses"),
};

/**
 * `type: multiple-negatives`: (anchor, positive, negative) rows, the negative a hard negative
 * beside the batch's other sentences (sentence-transformers' MultipleNegativesRankingLoss).
 */
export const multipleNegatives = defineObjective({
  type: "multiple-negatives",
  rowKind: "triplets",
  options: settings,
  texts: (row) => [row.anchor, row.positive, row.negative],
  build: (encoder, rows, options) => new MultipleNegativesObjective(encoder, rows, options),
});

/**
 * `type: multiple-negatives-nli`: supervised SimCSE straight from NLI labelled pairs: a second
 * type rather than an option of the first, because a descriptor reads one kind of rows. Premise
 * as anchor, each entailment as positive and, with `hardNegatives` (default), a contradiction of
 * the same premise as hard negative (`nliTriplets`).
 */
export const multipleNegativesNli = defineObjective({
  type: "multiple-negatives-nli",
  rowKind: "labelled-pairs",
  options: {
    ...settings,
    hardNegatives: z
      .boolean()
      .default(true)
      .describe("a contradiction of the premise as hard negative (SimCSE's supervised setting)"),
  },
  texts: (row) => [row.premise, row.hypothesis],
  build: (encoder, rows, options) => {
    const examples = nliTriplets(rows, { hardNegatives: options.hardNegatives });
    if (examples.length === 0)
      throw new BabelbedError(
        `multiple-negatives-nli: no premise has an entailment${options.hardNegatives ? " and a contradiction" : ""}`,
      );
    return new MultipleNegativesObjective(encoder, examples, options);
  },
});
