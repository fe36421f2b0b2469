import { z } from "zod";
import { dataSourceSchema, type DataSource } from "../../data/source.js";
import { mseTask, type ParallelRow } from "../encoder-tasks.js";
import { countPairs, defineTask, pairCount, type TaskReader } from "./descriptor.js";

interface MseSpec {
  task: string;
  name: string;
  data: DataSource;
  teacher: string;
}

/** Teacher-student MSE (Reimers & Gurevych 2020): both sides of held-out pairs against the teacher's source vectors. */
export const mse = defineTask({
  name: "mse",
  description: "mean squared error of the student's vectors to the teacher's (source side) on held-out pairs",
  dataKind: "parallel",
  fields: { teacher: z.string().min(1).describe("teacher directory or step name"), data: dataSourceSchema },
  sources: ["data"],
  metrics: {
    mse_source: {
      description: "mean squared error, student's source vectors to the teacher's",
      better: "lower",
      name: ({ source }) => `mean squared error to the teacher, ${source} sentences`,
      unit: "squared-error",
    },
    mse_target: {
      description: "mean squared error, student's target vectors to the teacher's source vectors",
      better: "lower",
      name: ({ source, target }) =>
        `mean squared error to the teacher, ${target} sentences (against its ${source} vectors)`,
      unit: "squared-error",
    },
    pairs: pairCount("held-out pairs embedded by student and teacher"),
  },
  primary: "mse_source",
  load: (spec: MseSpec, reader: TaskReader<ParallelRow>, where) => reader.read(spec.data, where),
  run: async (encoder, rows, spec, context) => {
    const vectors = await context.teacherVectors(
      spec.teacher,
      rows.map((row) => row.source),
    );
    return mseTask(encoder, vectors, rows, context.encodeOptions);
  },
  dataMetrics: (rows) => countPairs(rows),
});
