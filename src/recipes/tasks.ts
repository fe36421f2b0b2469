import { loadSentenceEncoder } from "../io/encoder-checkpoint.js";
import { withForwardEngine } from "../io/onnx/engine.js";
import { fingerprintDirectory, TeacherCache } from "../io/teacher-cache.js";
import type { Metrics } from "../evaluate/encoder-tasks.js";
import type { TaskReader } from "../evaluate/tasks/descriptor.js";
import { taskDescriptor } from "../evaluate/tasks/registry.js";
import type { SentenceEncoder } from "../model/sentence-encoder.js";
import type { RunContext } from "./context.js";
import { readNormalizedRows } from "./data.js";
import type { TaskSpec } from "./schema-parts.js";

/** Cache warnings already shown in a run: an unwritable cache is said once, not at every use. */
const cacheWarnings = new WeakMap<RunContext, Set<string>>();

/**
 * Teacher vectors of `sentences`, computed once per teacher and sentence across runs;
 * `onProgress` hears of each batch computed (of the sentences the cache lacks).
 */
export async function teacherVectors(
  context: RunContext,
  teacherDirectory: string,
  teacher: SentenceEncoder,
  sentences: string[],
  onProgress?: (done: number, total: number) => void,
) {
  const shown = cacheWarnings.get(context) ?? new Set<string>();
  cacheWarnings.set(context, shown);
  const warn = (line: string) => {
    if (shown.has(line)) return;
    shown.add(line);
    context.log(`warning: ${line}`);
    void context.run.log({ event: "warning", message: line });
  };
  const cache = await TeacherCache.open(
    context.cacheDirectory,
    await fingerprintDirectory(teacherDirectory),
    teacher.dimension,
    { warn },
  );
  const result = await cache.vectors(sentences, (missing) =>
    withForwardEngine(teacher, { engine: context.engine, threads: context.threads, log: context.log }, () =>
      teacher.encode(missing, { batchSize: 64, ...(onProgress === undefined ? {} : { onProgress }) }),
    ),
  );
  await context.run.log({
    event: "teacher-cache",
    teacher: teacherDirectory,
    sentences: sentences.length,
    computed: result.computed,
  });
  return result;
}

/**
 * A training step's "before" metrics: taken once, on the untrained model, and kept in the run
 * state so that a resumed step compares against them rather than against its checkpoint.
 */
export async function evaluateUntrained(
  context: RunContext,
  name: string,
  encoder: SentenceEncoder,
  tasks: TaskSpec[],
): Promise<Metrics | undefined> {
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
export async function evaluateTasks(
  context: RunContext,
  encoder: SentenceEncoder,
  tasks: TaskSpec[],
  where: string,
): Promise<Metrics> {
  const metrics: Metrics = {};
  // The engine is built from the weights as they are now, so evaluation during training sees the current model.
  await withForwardEngine(encoder, { engine: context.engine, threads: context.threads, log: context.log }, async () => {
    for (const task of tasks) {
      const label = `${where} evaluation ${task.name}`;
      const results = await evaluateTask(context, encoder, task, label);
      for (const [name, value] of Object.entries(results)) metrics[`${task.name}/${name}`] = value;
    }
  });
  return metrics;
}
/** Task rows are read once per run: the same held-out set is scored before, during and after training. */
async function cached<T>(context: RunContext, key: unknown, read: () => Promise<T>): Promise<T> {
  const id = JSON.stringify(key);
  if (!context.evaluationRows.has(id)) context.evaluationRows.set(id, await read());
  return context.evaluationRows.get(id) as T;
}

async function evaluateTask(
  context: RunContext,
  encoder: SentenceEncoder,
  task: TaskSpec,
  label: string,
): Promise<Metrics> {
  const base = context.recipeDirectory;
  const descriptor = taskDescriptor(task.task);
  const key = [base, descriptor.dataKind, Object.fromEntries(descriptor.sources.map((field) => [field, task[field]]))];
  const reader: TaskReader<unknown> = {
    read: (source, where) => readNormalizedRows(source, descriptor.dataKind, where, base, context.log),
    log: context.log,
    record: (event) => context.run.log(event),
  };
  const rows = await cached(context, key, () => descriptor.load(task, reader, label));
  const metrics = await descriptor.run(encoder, rows, task, {
    encodeOptions: {},
    teacherVectors: (teacher, sentences) => recipeTeacherVectors(context, teacher, sentences),
  });
  return { ...metrics, ...descriptor.dataMetrics?.(rows) };
}

/** A teacher (a directory or an earlier step) embeds `sentences`, through the run's teacher cache. */
async function recipeTeacherVectors(
  context: RunContext,
  reference: string,
  sentences: string[],
): Promise<Float32Array[]> {
  const teacherDirectory = await context.resolver.resolve(reference);
  const teacher = await loadSentenceEncoder(teacherDirectory);
  try {
    return (await teacherVectors(context, teacherDirectory, teacher, sentences)).vectors;
  } finally {
    teacher.dispose();
  }
}
