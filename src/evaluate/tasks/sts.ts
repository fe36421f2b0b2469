import { dataSourceSchema, type DataSource } from "../../data/source.js";
import { BabelbedError } from "../../util/errors.js";
import { stsTask, type ScoredPairRow } from "../encoder-tasks.js";
import { countPairs, defineTask, pairCount } from "./descriptor.js";

interface StsSpec {
  task: string;
  name: string;
  data: DataSource;
  pairWith?: DataSource | undefined;
}

// Cosine similarities unrelated to the gold scores correlate 0 with them.
const correlation = (kind: string) => ({
  description: `${kind} correlation of the pairs' cosine similarity with the gold scores`,
  better: "higher" as const,
  name: `${kind.split(" ")[0]} correlation with gold similarity scores`,
  unit: "correlation" as const,
  chance: () => 0,
});

/** STS (Cer et al. 2017): scored pairs; with `pairWith`, cross-lingual, sentence2 from a row-aligned file. */
export const sts = defineTask({
  name: "sts",
  description: "semantic textual similarity: Spearman and Pearson correlation of cosine similarity with gold scores",
  dataKind: "scored-pairs",
  fields: {
    data: dataSourceSchema,
    pairWith: dataSourceSchema
      .optional()
      .describe("cross-lingual STS: take sentence2 from this row-aligned file instead"),
  },
  sources: ["data", "pairWith"],
  metrics: {
    spearman: correlation("Spearman rank"),
    pearson: correlation("Pearson"),
    pairs: pairCount("scored pairs correlated"),
  },
  primary: "spearman",
  async load(spec: StsSpec, reader: { read(source: DataSource, where: string): Promise<ScoredPairRow[]> }, where) {
    const pairs = await reader.read(spec.data, where);
    if (spec.pairWith === undefined) return pairs;
    const other = await reader.read(spec.pairWith, `${where} pairWith`);
    if (other.length !== pairs.length)
      throw new BabelbedError(`${where}: pairWith has ${other.length} rows, data has ${pairs.length}`);
    return pairs.map((pair, index) => ({ ...pair, sentence2: other[index]!.sentence2 }));
  },
  run: (encoder, rows, _spec, context) => stsTask(encoder, rows, context.encodeOptions),
  dataMetrics: (rows) => countPairs(rows),
});
