import { z } from "zod";
import { SimcseObjective } from "./contrastive.js";
import { defineObjective } from "./descriptor.js";

/** `type: simcse`: unsupervised SimCSE on plain sentences, dropout the only augmentation; `temperature` 0.05 as the paper. */
export const simcse = defineObjective({
  type: "simcse",
  rowKind: "sentences",
  options: {
    temperature: z
      .number()
      .positive()
      .default(0.05)
      .describe("divides the cosine similarities before the cross-entropy (SimCSE: 0.05)"),
  },
  texts: (row) => [row.text],
  build: (encoder, rows, options) =>
    new SimcseObjective(
      encoder,
      rows.map((row) => row.text),
      options.temperature,
    ),
});
