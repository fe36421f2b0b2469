import { z } from "zod";
import { dataSourceSchema, type DataSource } from "../../data/source.js";
import { retrievalTask, type ParallelRow } from "../encoder-tasks.js";
import { countPairs, defineTask, pairCount, type TaskReader } from "./descriptor.js";

interface RetrievalSpec {
  task: string;
  name: string;
  data: DataSource;
  excludePairsIn?: DataSource[] | undefined;
}

/** A pair compared as the data README does: ignoring case, spaces and punctuation. */
function pairKey(pair: ParallelRow): string {
  const bare = (text: string) => text.toLowerCase().replace(/[^\p{L}\p{N}]/gu, "");
  return `${bare(pair.source)}\u0000${bare(pair.target)}`;
}

/** Translation retrieval (Artetxe & Schwenk 2019, Tatoeba): each sentence's nearest neighbour among the other side's. */
export const retrieval = defineTask({
  name: "retrieval",
  description:
    "translation retrieval: top-1 accuracy of finding each sentence's translation among all the other side's",
  dataKind: "parallel",
  fields: {
    data: dataSourceSchema,
    excludePairsIn: z
      .array(dataSourceSchema)
      .optional()
      .describe(
        "leave out test pairs that also occur in these (training) files, ignoring case, spaces and punctuation",
      ),
  },
  sources: ["data", "excludePairsIn"],
  metrics: {
    source_to_target: {
      description: "top-1 retrieval accuracy, source → target",
      better: "higher",
      name: ({ source, target }) => `top-1 retrieval accuracy, ${source} → ${target}`,
      unit: "%",
      // Each sentence has n candidates, one of them right.
      chance: (n) => 1 / n,
    },
    target_to_source: {
      description: "top-1 retrieval accuracy, target → source",
      better: "higher",
      name: ({ source, target }) => `top-1 retrieval accuracy, ${target} → ${source}`,
      unit: "%",
      chance: (n) => 1 / n,
    },
    accuracy: {
      description: "top-1 retrieval accuracy, the mean of both directions",
      better: "higher",
      name: ({ source, target }) => `top-1 retrieval accuracy, ${source} ↔ ${target} (mean of both directions)`,
      unit: "%",
      chance: (n) => 1 / n,
    },
    pairs: pairCount("test pairs scored (after leaving out training overlap)"),
  },
  // The first metric, as best-model keeping has always scored retrieval.
  primary: "source_to_target",
  async load(spec: RetrievalSpec, reader: TaskReader<ParallelRow>, where) {
    const pairs = await reader.read(spec.data, where);
    if (spec.excludePairsIn === undefined) return pairs;
    const seen = new Set<string>();
    for (const [position, source] of spec.excludePairsIn.entries()) {
      for (const pair of await reader.read(source, `${where} excludePairsIn.${position}`)) seen.add(pairKey(pair));
    }
    const kept = pairs.filter((pair) => !seen.has(pairKey(pair)));
    reader.log(
      `${where}: left out ${pairs.length - kept.length} of ${pairs.length} pairs that occur in the training data`,
    );
    await reader.record({
      event: "overlap-excluded",
      task: spec.name,
      excluded: pairs.length - kept.length,
      kept: kept.length,
    });
    return kept;
  },
  run: (encoder, rows, _spec, context) => retrievalTask(encoder, rows, context.encodeOptions),
  dataMetrics: (rows) => countPairs(rows),
});
