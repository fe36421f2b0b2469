import { saveSentenceEncoder } from "../../io/encoder-checkpoint.js";
import type { SentenceEncoder } from "../../model/sentence-encoder.js";
import type { TrainingObjective } from "../../train/objectives/objective.js";
import { Trainer, type StepRecord } from "../../train/trainer.js";
import type { RunContext } from "../context.js";
import type { StepResult } from "../run-directory.js";
import { taskDescriptor } from "../../evaluate/tasks/registry.js";
import type { TaskSpec, TrainingSpec } from "../schema-parts.js";
import { evaluateTasks, evaluateUntrained } from "../tasks.js";
import { clearCheckpoint, runCheckpointed, type CheckpointedLoop, type CheckpointedOptions } from "./checkpointed.js";

/** The metric that decides which checkpoint is best: the first task's primary metric, negated where lower is better. */
function score(metrics: Record<string, number>, tasks: TaskSpec[]): number {
  const first = tasks[0];
  if (first === undefined) return 0;
  const descriptor = taskDescriptor(first.task);
  const value = metrics[`${first.name}/${descriptor.primary}`];
  if (value === undefined) return 0;
  return descriptor.metrics[descriptor.primary]!.better === "lower" ? -value : value;
}

/** The Siamese/distillation trainer as a recipe step runs it (see `trainEncoder`). */
export async function runTraining(
  context: RunContext,
  name: string,
  encoder: SentenceEncoder,
  objectives: TrainingObjective[],
  training: TrainingSpec,
  tasks: TaskSpec[],
): Promise<StepResult> {
  const trainer = new Trainer(
    encoder,
    objectives,
    {
      batchSize: training.batchSize,
      epochs: training.epochs,
      maxSteps: training.maxSteps,
      learningRate: training.learningRate,
      warmupRatio: training.warmupRatio,
      weightDecay: training.weightDecay,
      maxGradNorm: training.maxGradNorm,
      seed: context.recipe.seed,
    },
    { embeddings: training.optimizer?.embeddings ?? "exact" },
  );
  try {
    return await trainEncoder(context, name, encoder, trainer, training, tasks, {
      record: (record: StepRecord) => ({
        epoch: record.epoch,
        objective: record.objective,
        loss: record.loss,
        learningRate: record.learningRate,
        gradientNorm: record.gradientNorm,
      }),
      describe: (record: StepRecord) => `${record.objective} loss ${record.loss.toFixed(4)}`,
    });
  } finally {
    trainer.dispose();
  }
}

/**
 * A training step as sentence-transformers' `fit` runs one: evaluate before training, train
 * with evaluation every N steps keeping the best model, checkpoint every M steps and on
 * Ctrl-C, evaluate after. The step's model goes to `models/<name>`.
 */
export async function trainEncoder<State extends object, LoopRecord extends { step: number; seconds: number }>(
  context: RunContext,
  name: string,
  encoder: SentenceEncoder,
  loop: CheckpointedLoop<State, LoopRecord>,
  schedule: {
    evaluateEvery?: number | undefined;
    checkpointEvery?: number | undefined;
    maxMinutes?: number | undefined;
  },
  tasks: TaskSpec[],
  logging: Pick<CheckpointedOptions<LoopRecord>, "record" | "describe">,
): Promise<StepResult> {
  const started = performance.now();
  const { run } = context;
  const before = await evaluateUntrained(context, name, encoder, tasks);
  let best: { score: number; metrics: Record<string, number> } | undefined;
  const keep = async (metrics: Record<string, number>) => {
    const value = score(metrics, tasks);
    if (best !== undefined && value <= best.score) return;
    best = { score: value, metrics };
    await saveSentenceEncoder(encoder, run.model(name));
  };
  await runCheckpointed(context, name, loop, {
    ...logging,
    schedule: {
      evaluateEvery: tasks.length > 0 ? schedule.evaluateEvery : undefined,
      checkpointEvery: schedule.checkpointEvery,
    },
    maxMinutes: schedule.maxMinutes,
    evaluate: async (step) => {
      context.log(`${name}: evaluating at training step ${step}`);
      const metrics = await evaluateTasks(context, encoder, tasks, name);
      await run.log({ step: name, phase: "during", trainingStep: step, ...metrics });
      await keep(metrics);
      return metrics;
    },
    extra: () => ({ best }),
    restored: (extra) => (best = extra.best as typeof best),
  });
  if (tasks.length > 0) context.log(`${name}: evaluating the trained model`);
  const after = tasks.length > 0 ? await evaluateTasks(context, encoder, tasks, name) : {};
  await run.log({ step: name, phase: "after", trainingStep: loop.step, ...after });
  if (tasks.length === 0 || schedule.evaluateEvery === undefined) {
    best = { score: score(after, tasks), metrics: after };
    await saveSentenceEncoder(encoder, run.model(name));
  } else {
    await keep(after);
  }
  await clearCheckpoint(context, name);
  return { step: name, kind: "training", before, after: best!.metrics, seconds: (performance.now() - started) / 1000 };
}
