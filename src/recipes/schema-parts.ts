/**
 * The pieces of the recipe schema that steps share (models, training options, evaluation tasks,
 * objectives), apart from `schema.ts` so that a step can use them without importing the step registry.
 */
import { z } from "zod";
import { dataSourceSchema, type DataSource, type DataSourceInput } from "../data/source.js";
import type { TaskSpecBase } from "../evaluate/tasks/descriptor.js";
import { tasks } from "../evaluate/tasks/registry.js";
import { poolingModes } from "../model/pooling.js";
import { objectives } from "../train/objectives/registry.js";

export const positive = z.number().int().positive();

export const maxMinutes = z
  .number()
  .positive()
  .describe(
    "stop after this many minutes of training (evaluation included, counted across resumes) and keep the model so far; the learning rate still decays over epochs/maxSteps, and where it stops depends on the machine's speed",
  );

/** A fresh BERT-style encoder, its shape as in an HF config, with a WordPiece vocabulary trained on the step's data. */
const freshModel = z
  .object({
    hiddenSize: positive.describe("width of every token vector"),
    layers: positive.describe("transformer blocks"),
    heads: positive.describe("attention heads; must divide hiddenSize"),
    intermediateSize: positive.describe("width of the feed-forward layer"),
    maxPositions: positive.optional().describe("position embeddings (default: max(128, maxSeqLength))"),
    dropout: z.number().min(0).max(1).default(0.1),
    vocabulary: z
      .object({
        size: positive.describe("WordPiece vocabulary size, special tokens included"),
        lowercase: z.boolean().default(false),
        minFrequency: positive.default(2),
      })
      .strict(),
  })
  .strict();

/** A Dense layer after pooling (sentence-transformers' `Dense` module), e.g. to reach a teacher's width. */
const denseSpec = z
  .union([
    z.literal("teacher"),
    z
      .object({
        outFeatures: positive.describe("width of the sentence vectors it gives"),
        activation: z
          .enum(["tanh", "identity"])
          .default("tanh")
          .describe("tanh (sentence-transformers' default) or identity"),
      })
      .strict(),
  ])
  .describe(
    'add a Dense layer after pooling: {outFeatures, activation}, or "teacher" (distill students) for a linear layer to the teacher\'s width',
  );

export const modelSchema = z
  .object({
    from: z.string().min(1).optional().describe("a model directory, or the name of an earlier step"),
    fresh: freshModel.optional(),
    pooling: z
      .union([z.enum(poolingModes), z.array(z.enum(poolingModes)).min(1)])
      .optional()
      .describe("sentence pooling, or a list whose vectors are concatenated (default: the model's, else mean)"),
    dense: denseSpec.optional(),
    normalize: z.boolean().optional().describe("L2-normalise sentence vectors"),
    maxSeqLength: positive.optional().describe("tokens per sentence, [CLS] and [SEP] included (default 128)"),
    segment: z.array(z.string()).optional().describe('languages to pre-segment into words, e.g. ["ja"] (kuromoji)'),
  })
  .strict()
  .refine((model) => (model.from === undefined) !== (model.fresh === undefined), {
    message: "give exactly one of from or fresh",
  });

/** How AdamW steps the embedding tables; the same choice in every training step. */
export const optimizerSchema = z
  .object({
    embeddings: z
      .enum(["exact", "lazy"])
      .default("exact")
      .describe(
        '"exact": AdamW as torch steps it, every row every step; "lazy": LazyAdam, only the rows a batch touches (see README)',
      ),
  })
  .strict();

export const trainingSchema = z
  .object({
    epochs: z.number().positive().default(1),
    maxSteps: positive.optional().describe("stop after this many steps (overrides epochs)"),
    maxMinutes: maxMinutes.optional(),
    batchSize: positive.default(16),
    learningRate: z.number().positive().default(2e-5),
    warmupRatio: z
      .number()
      .min(0)
      .max(1)
      .default(0.1)
      .describe("share of the steps spent warming up the learning rate"),
    weightDecay: z.number().min(0).default(0.01),
    maxGradNorm: z.number().positive().default(1),
    evaluateEvery: positive.optional().describe("evaluate (and keep the best model) every N steps"),
    checkpointEvery: positive.default(100).describe("write a resumable checkpoint every N steps"),
    optimizer: optimizerSchema.optional(),
  })
  .strict();

export const named = { name: z.string().regex(/^[A-Za-z0-9._-]+$/, "letters, digits, '.', '_' and '-' only") };

/** An evaluation task, one member per registered task (`task:` tells which). */
export const taskSchema = z.discriminatedUnion(
  "task",
  tasks.map((task) => z.object({ task: z.literal(task.name), ...named, ...task.fields }).strict()) as unknown as [
    DiscriminableObject,
    ...DiscriminableObject[],
  ],
) as unknown as z.ZodType<TaskSpec, TaskSpecInput>;

/** A train-teacher objective, one member per registered objective (`type:` tells which). */
export const objectiveSchema = z.discriminatedUnion(
  "type",
  objectives.map((objective) =>
    z.object({ type: z.literal(objective.type), data: dataSourceSchema, ...objective.options }).strict(),
  ) as unknown as [DiscriminableObject, ...DiscriminableObject[]],
) as unknown as z.ZodType<ObjectiveSpec, ObjectiveSpecInput>;

type DiscriminableObject = z.ZodObject<{ [key: string]: z.ZodType }, z.core.$strict>;

/** The settings of a recipe besides its steps. */
export const recipeFields = {
  name: named.name,
  description: z.string().optional(),
  seed: z.number().int().default(42),
  device: z.enum(["auto", "gpu", "cpu", "wasm", "js"]).default("auto"),
  engine: z
    .enum(["onnx", "tfjs"])
    .optional()
    .describe("where evaluation and teacher vectors run: onnx (onnxruntime-node, the default where it loads) or tfjs"),
  output: z.string().optional().describe("run directory (default runs/<name>)"),
  cacheDirectory: z.string().optional().describe("teacher vector cache (default $BABELBED_CACHE or ~/.cache/babelbed)"),
};

export type ModelSpec = z.infer<typeof modelSchema>;
export type TrainingSpec = z.infer<typeof trainingSchema>;
/** A task as the recipe gives it: the common fields typed, the task's own (`k`, `teacher`, …) by name. */
export type TaskSpec = TaskSpecBase & Record<string, unknown>;
export type ObjectiveSpec = { type: string; data: DataSource } & Record<string, unknown>;
// As a recipe or the CLI gives them, before defaults: what the schemas read.
type TaskSpecInput = { task: string; name: string; data: DataSourceInput } & Record<string, unknown>;
type ObjectiveSpecInput = { type: string; data: DataSourceInput } & Record<string, unknown>;

/**
 * A recipe as the steps see it: its settings, and steps known by kind and name only (the full
 * type, `Recipe` of schema.ts, is built from the step registry, which imports the steps).
 */
export interface RecipeSettings extends z.output<z.ZodObject<typeof recipeFields>> {
  steps: readonly ({ step: string; name: string } & Record<string, unknown>)[];
}
