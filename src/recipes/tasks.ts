import { loadSentenceEncoder } from "../io/encoder-checkpoint.js";
import { withForwardEngine } from "../io/onnx/engine.js";
import { fingerprintDirectory, TeacherCache } from "../io/teacher-cache.js";
import { miningTask, mseTask, retrievalTask, stsTask, type Metrics } from "../evaluate/encoder-tasks.js";
import type { SentenceEncoder } from "../model/sentence-encoder.js";
import { BabelbedError } from "../util/files.js";
import type { RunContext } from "./context.js";
import { readParallel, readScoredPairs } from "./data.js";
import type { TaskSpec } from "./schema.js";

/** Cache warnings already shown in a run: an unwritable cache is said once, not at every use. */
const cacheWarnings = new WeakMap<RunContext, Set<string>>();

/** Teacher vectors of `sentences`, computed once per teacher and sentence across runs. */
export async function teacherVectors(context: RunContext, teacherDirectory: string, teacher: SentenceEncoder, sentences: string[]) {
  const shown = cacheWarnings.get(context) ?? new Set<string>();
  cacheWarnings.set(context, shown);
  const warn = (line: string) => {
    if (shown.has(line)) return;
    shown.add(line);
    context.log(`warning: ${line}`);
    void context.run.log({ event: "warning", message: line });
  };
  const cache = await TeacherCache.open(context.cacheDirectory, await fingerprintDirectory(teacherDirectory), teacher.dimension, { warn });
  const result = await cache.vectors(sentences, (missing) =>
    withForwardEngine(teacher, { engine: context.engine, log: context.log }, () => teacher.encode(missing, { batchSize: 64 })),
  );
  await context.run.log({ event: "teacher-cache", teacher: teacherDirectory, sentences: sentences.length, computed: result.computed });
  return result;
}

/**
 * A training step's "before" metrics: taken once, on the untrained model, and kept in the run
 * state so that a resumed step compares against them rather than against its checkpoint.
 */
export async function evaluateUntrained(context: RunContext, name: string, encoder: SentenceEncoder, tasks: TaskSpec[]): Promise<Metrics | undefined> {
  const { run, state } = context;
  state.started[name] ??= {};
  if (state.started[name].before === undefined && tasks.length > 0) {
    context.log(`${name}: evaluating the untrained model`);
    state.started[name].before = await evaluateTasks(context, encoder, tasks, name);
    await run.log({ step: name, phase: "before", trainingStep: 0, ...state.started[name].before });
    await run.saveState(state);
  }
  return state.started[name].before;
}

/**
 * Evaluate `encoder` on every task; metric names are `task/metric`. Task data is read once
 * per run and kept, since the same held-out set is scored before, during and after training.
 */
export async function evaluateTasks(context: RunContext, encoder: SentenceEncoder, tasks: TaskSpec[], where: string): Promise<Metrics> {
  const metrics: Metrics = {};
  // The engine is built from the weights as they are now, so evaluation during training sees the current model.
  await withForwardEngine(encoder, { engine: context.engine, log: context.log }, async () => {
    for (const task of tasks) {
      const label = `${where} evaluation ${task.name}`;
      const results = await evaluateTask(context, encoder, task, label);
      for (const [name, value] of Object.entries(results)) metrics[`${task.name}/${name}`] = value;
    }
  });
  return metrics;
}


/** A pair compared as the data README does: ignoring case, spaces and punctuation. */
function pairKey(pair: { source: string; target: string }): string {
  const bare = (text: string) => text.toLowerCase().replace(/[^\p{L}\p{N}]/gu, "");
  return `${bare(pair.source)}\u0000${bare(pair.target)}`;
}

async function cached<T>(context: RunContext, key: unknown, read: () => Promise<T>): Promise<T> {
  const id = JSON.stringify(key);
  if (!context.evaluationRows.has(id)) context.evaluationRows.set(id, await read());
  return context.evaluationRows.get(id) as T;
}

async function evaluateTask(context: RunContext, encoder: SentenceEncoder, task: TaskSpec, label: string): Promise<Metrics> {
  const base = context.recipeDirectory;
  switch (task.task) {
    case "sts": {
      const rows = await cached(context, [base, task.data, task.pairWith], async () => {
        const pairs = await readScoredPairs(task.data, label, base, context.log);
        if (task.pairWith === undefined) return pairs;
        const other = await readScoredPairs(task.pairWith, `${label} pairWith`, base, context.log);
        if (other.length !== pairs.length) throw new BabelbedError(`${label}: pairWith has ${other.length} rows, data has ${pairs.length}`);
        return pairs.map((pair, index) => ({ ...pair, sentence2: other[index]!.sentence2 }));
      });
      return stsTask(encoder, rows);
    }
    case "retrieval": {
      const rows = await cached(context, [base, task.data, task.excludePairsIn], async () => {
        const pairs = await readParallel(task.data, label, base, context.log);
        if (task.excludePairsIn === undefined) return pairs;
        const seen = new Set<string>();
        for (const [position, spec] of task.excludePairsIn.entries()) {
          for (const pair of await readParallel(spec, `${label} excludePairsIn.${position}`, base, context.log)) seen.add(pairKey(pair));
        }
        const kept = pairs.filter((pair) => !seen.has(pairKey(pair)));
        context.log(`${label}: left out ${pairs.length - kept.length} of ${pairs.length} pairs that occur in the training data`);
        await context.run.log({ event: "overlap-excluded", task: task.name, excluded: pairs.length - kept.length, kept: kept.length });
        return kept;
      });
      return { ...(await retrievalTask(encoder, rows)), pairs: rows.length };
    }
    case "mining":
      return miningTask(encoder, await cached(context, [base, task.data], () => readParallel(task.data, label, base, context.log)), task.k);
    case "mse": {
      const rows = await cached(context, [base, task.data], () => readParallel(task.data, label, base, context.log));
      const teacherDirectory = await context.resolver.resolve(task.teacher);
      const teacher = await loadSentenceEncoder(teacherDirectory);
      try {
        const { vectors } = await teacherVectors(context, teacherDirectory, teacher, rows.map((row) => row.source));
        return mseTask(encoder, vectors, rows);
      } finally {
        teacher.dispose();
      }
    }
  }
}
