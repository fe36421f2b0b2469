import { z } from "zod";
import { dataSourceSchema, type DataSource } from "../../data/source.js";
import { alignmentUniformity, indexScoredPairs } from "../alignment-uniformity.js";
import type { ScoredPairRow } from "../encoder-tasks.js";
import { defineTask, type TaskReader } from "./descriptor.js";

interface AlignmentUniformitySpec {
  task: string;
  name: string;
  data: DataSource;
  threshold: number;
}

/**
 * Alignment and uniformity (Wang & Isola 2020) on scored pairs, as SimCSE measures them on
 * STS-B: positives are the pairs scored at least `threshold` of the data's range (4 of 0–5 is
 * 0.8), uniformity and anisotropy over every distinct pair of the sentences.
 */
export const alignmentUniformityTask = defineTask({
  name: "alignment-uniformity",
  description: "alignment of positive pairs, uniformity and anisotropy (mean cosine) of the sentences, on unit vectors",
  dataKind: "scored-pairs",
  fields: {
    data: dataSourceSchema,
    threshold: z
      .number()
      .min(0)
      .max(1)
      .default(0.8)
      .describe("positive pairs: score at least this share of the scoreRange (SimCSE: 4 of 5)"),
  },
  sources: ["data"],
  metrics: {
    alignment: {
      name: "alignment",
      description: "mean squared distance of positive pairs' unit vectors (0 to 4)",
      better: "lower",
    },
    uniformity: {
      name: "uniformity",
      description:
        "log mean exp(−2 × squared distance) over all sentence pairs (−4 to 0): how evenly the vectors fill the sphere",
      better: "lower",
    },
    anisotropy: {
      name: "anisotropy",
      description: "mean cosine of distinct sentence pairs: near 1, every sentence looks alike",
      better: "lower",
    },
    positive_pairs: {
      name: "positive pairs",
      description: "pairs scored at or above the threshold: a count, not a score",
      better: "none",
      unit: "count",
    },
  },
  primary: "uniformity",
  load: (spec: AlignmentUniformitySpec, reader: TaskReader<ScoredPairRow>, where) => reader.read(spec.data, where),
  run: async (encoder, rows, spec, context) => {
    const { texts, pairs } = indexScoredPairs(rows);
    const vectors = await encoder.encode(texts, context.encodeOptions);
    const { alignment, uniformity, anisotropy, positivePairs } = alignmentUniformity(vectors, pairs, {
      threshold: spec.threshold,
    });
    return { alignment, uniformity, anisotropy, positive_pairs: positivePairs };
  },
});
