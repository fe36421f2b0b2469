import { dataSourceSchema, type DataSource } from "../../data/source.js";
import { miningTask, type ParallelRow } from "../encoder-tasks.js";
import { countPairs, defineTask, pairCount, type SideNames, type TaskReader } from "./descriptor.js";
import { z } from "zod";

interface MiningSpec {
  task: string;
  name: string;
  data: DataSource;
  k: number;
}

const score = (what: string, short: string) => ({
  description: `mined pairs at the best threshold: ${what}`,
  better: "higher" as const,
  name: ({ source, target }: SideNames) => `bitext mining ${short}, ${source}–${target}`,
  unit: "%" as const,
});

/** BUCC-style bitext mining: the ratio margin over k nearest neighbours, at the threshold with the best F1. */
export const mining = defineTask({
  name: "mining",
  description: "bitext mining: precision, recall and F1 of the pairs the ratio-margin score finds",
  dataKind: "parallel",
  fields: { data: dataSourceSchema, k: z.number().int().positive().default(4) },
  sources: ["data"],
  metrics: {
    precision: score("share of the mined pairs that are true translations", "precision"),
    recall: score("share of the true translations mined", "recall"),
    f1: score("harmonic mean of precision and recall", "F1"),
    threshold: {
      description: "the margin score above which a pair is mined: chosen on the data, not a score",
      better: "none",
      name: "mining threshold on the ratio margin (a setting, not a score)",
      unit: "threshold",
    },
    pairs: pairCount("parallel pairs searched for translations"),
  },
  // The first metric, as best-model keeping has always scored mining.
  primary: "precision",
  load: (spec: MiningSpec, reader: TaskReader<ParallelRow>, where) => reader.read(spec.data, where),
  run: (encoder, rows, spec, context) => miningTask(encoder, rows, spec.k, context.encodeOptions),
  dataMetrics: (rows) => countPairs(rows),
});
