import { z } from "zod";
import { dataSourceSchema } from "../data/source.js";
import { poolingModes } from "../model/pooling.js";

const positive = z.number().int().positive();

const maxMinutes = z
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
        activation: z.enum(["tanh", "identity"]).default("tanh").describe("tanh (sentence-transformers' default) or identity"),
      })
      .strict(),
  ])
  .describe('add a Dense layer after pooling: {outFeatures, activation}, or "teacher" (distill students) for a linear layer to the teacher\'s width');

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
  .refine((model) => (model.from === undefined) !== (model.fresh === undefined), { message: "give exactly one of from or fresh" });

export const trainingSchema = z
  .object({
    epochs: z.number().positive().default(1),
    maxSteps: positive.optional().describe("stop after this many steps (overrides epochs)"),
    maxMinutes: maxMinutes.optional(),
    batchSize: positive.default(16),
    learningRate: z.number().positive().default(2e-5),
    warmupRatio: z.number().min(0).max(1).default(0.1).describe("share of the steps spent warming up the learning rate"),
    weightDecay: z.number().min(0).default(0.01),
    maxGradNorm: z.number().positive().default(1),
    evaluateEvery: positive.optional().describe("evaluate (and keep the best model) every N steps"),
    checkpointEvery: positive.default(100).describe("write a resumable checkpoint every N steps"),
    optimizer: z
      .object({
        embeddings: z
          .enum(["exact", "lazy"])
          .default("exact")
          .describe('"exact": AdamW as torch steps it, every row every step; "lazy": LazyAdam, only the rows a batch touches (see README)'),
      })
      .strict()
      .optional(),
  })
  .strict();

const named = { name: z.string().regex(/^[A-Za-z0-9._-]+$/, "letters, digits, '.', '_' and '-' only") };

const stsTask = z
  .object({
    task: z.literal("sts"),
    ...named,
    data: dataSourceSchema,
    pairWith: dataSourceSchema.optional().describe("cross-lingual STS: take sentence2 from this row-aligned file instead"),
  })
  .strict();
const retrievalTask = z
  .object({
    task: z.literal("retrieval"),
    ...named,
    data: dataSourceSchema,
    excludePairsIn: z
      .array(dataSourceSchema)
      .optional()
      .describe("leave out test pairs that also occur in these (training) files, ignoring case, spaces and punctuation"),
  })
  .strict();
const miningTask = z.object({ task: z.literal("mining"), ...named, data: dataSourceSchema, k: positive.default(4) }).strict();
const mseTask = z
  .object({ task: z.literal("mse"), ...named, teacher: z.string().min(1).describe("teacher directory or step name"), data: dataSourceSchema })
  .strict();
export const taskSchema = z.discriminatedUnion("task", [stsTask, retrievalTask, miningTask, mseTask]);

const objectiveSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("classification"), data: dataSourceSchema }).strict(),
  z.object({ type: z.literal("regression"), data: dataSourceSchema }).strict(),
  z.object({ type: z.literal("triplet"), data: dataSourceSchema, margin: z.number().positive().default(1) }).strict(),
]);

const trainTeacherStep = z
  .object({
    step: z.literal("train-teacher"),
    ...named,
    model: modelSchema,
    objectives: z.array(objectiveSchema).min(1),
    training: trainingSchema.default(trainingSchema.parse({})),
    evaluation: z.array(taskSchema).default([]),
  })
  .strict();

const distillStep = z
  .object({
    step: z.literal("distill"),
    ...named,
    teacher: z.string().min(1).describe("teacher directory or the name of an earlier step"),
    student: modelSchema,
    data: z.array(dataSourceSchema).min(1).describe("parallel sentences: source (the teacher's language) and target"),
    training: trainingSchema.default(trainingSchema.parse({})),
    evaluation: z.array(taskSchema).default([]),
  })
  .strict();

const pretrainingSchema = z
  .object({
    batchSize: positive.default(32).describe("sequences per step (MLM and TLM steps alike)"),
    learningRate: z.number().positive().default(1e-4),
    warmupRatio: z.number().min(0).max(1).default(0.1).describe("share of each stage's steps spent warming up"),
    weightDecay: z.number().min(0).default(0.01),
    maxGradNorm: z.number().positive().default(1),
    maskProbability: z.number().gt(0).max(1).default(0.15).describe("share of the tokens to predict (BERT: 0.15)"),
    checkpointEvery: positive.default(100).describe("write a resumable checkpoint every N steps"),
  })
  .strict();

const pretrainStep = z
  .object({
    step: z.literal("pretrain"),
    ...named,
    model: modelSchema
      .refine((model) => model.fresh !== undefined, { message: "pretrain starts from a fresh model" })
      .refine((model) => model.dense === undefined, { message: "pretrain trains the transformer only; give dense in the dual-encoder or distill step that follows" }),
    data: z
      .array(dataSourceSchema)
      .min(1)
      .describe("kind sentences (MLM) and/or parallel (both sides for MLM, the pairs for TLM); MLM and TLM batches alternate"),
    stages: z
      .array(z.object({ layers: positive, steps: positive }).strict())
      .min(1)
      .describe("progressive stacking: layer counts growing to the model's, e.g. L/4, L/2, L"),
    training: pretrainingSchema.default(pretrainingSchema.parse({})),
  })
  .strict();

const dualEncoderTraining = z
  .object({
    epochs: z.number().positive().default(1),
    maxSteps: positive.optional().describe("stop after this many steps (overrides epochs)"),
    maxMinutes: maxMinutes.optional(),
    batchSize: positive.min(2).default(64).describe("pairs per step: the in-batch negatives"),
    chunkSize: positive.default(8).describe("rows per forward pass (memory); gradient caching keeps every negative"),
    learningRate: z.number().positive().default(1e-4),
    warmupRatio: z.number().min(0).max(1).default(0.1),
    weightDecay: z.number().min(0).default(0.01),
    maxGradNorm: z.number().positive().default(1),
    evaluateEvery: positive.optional().describe("evaluate (and keep the best model) every N steps"),
    checkpointEvery: positive.default(100).describe("write a resumable checkpoint every N steps"),
  })
  .strict();

const additiveMargin = z
  .object({
    margin: z.number().min(0).default(0.3).describe("subtracted from each true pair's cosine (LaBSE: 0.3)"),
    scale: z.number().positive().default(20).describe("multiplies the cosines before the softmax"),
    reduction: z.enum(["sum", "mean"]).default("sum").describe('"sum": source→target plus target→source; "mean" halves it'),
  })
  .strict();

const dualEncoderStep = z
  .object({
    step: z.literal("dual-encoder"),
    ...named,
    model: modelSchema.describe("usually from: the pretrain step; pooling defaults to cls and normalize to true"),
    data: z.array(dataSourceSchema).min(1).describe("parallel sentences"),
    loss: additiveMargin.default(additiveMargin.parse({})),
    training: dualEncoderTraining.default(dualEncoderTraining.parse({})),
    evaluation: z.array(taskSchema).default([]),
  })
  .strict();

const evaluateStep = z.object({ step: z.literal("evaluate"), ...named, model: z.string().min(1), tasks: z.array(taskSchema).min(1) }).strict();

const exportStep = z
  .object({
    step: z.literal("export"),
    ...named,
    model: z.string().min(1),
    output: z.string().min(1).describe("directory, relative to the run directory"),
    format: z
      .enum(["sentence-transformers", "tfjs"])
      .default("sentence-transformers")
      .describe("sentence-transformers (Python loads it) or tfjs (model.json, shards, runtime and a page that embeds in the browser)"),
    languages: z
      .array(z.string().regex(/^[a-z]{2,3}$/, "an ISO 639 code such as en, de or ja"))
      .min(1)
      .optional()
      .describe("the languages the model embeds: the model card's `language` (sentence-transformers) or the page's title and samples (tfjs); default for tfjs: the codes in the training data's file names"),
  })
  .strict();

export const stepSchema = z.discriminatedUnion("step", [trainTeacherStep, distillStep, pretrainStep, dualEncoderStep, evaluateStep, exportStep]);

export const recipeSchema = z
  .object({
    name: named.name,
    description: z.string().optional(),
    seed: z.number().int().default(42),
    device: z.enum(["auto", "gpu", "cpu", "wasm", "js"]).default("auto"),
    engine: z.enum(["onnx", "tfjs"]).optional().describe("where evaluation and teacher vectors run: onnx (onnxruntime-node, the default where it loads) or tfjs"),
    output: z.string().optional().describe("run directory (default runs/<name>)"),
    cacheDirectory: z.string().optional().describe("teacher vector cache (default $BABELBED_CACHE or ~/.cache/babelbed)"),
    steps: z.array(stepSchema).min(1),
  })
  .strict()
  .superRefine((recipe, context) => {
    const names = new Set<string>();
    recipe.steps.forEach((step, index) => {
      if (names.has(step.name)) context.addIssue({ code: "custom", path: ["steps", index, "name"], message: `step name "${step.name}" is used twice` });
      names.add(step.name);
    });
  });

export type Recipe = z.infer<typeof recipeSchema>;
export type RecipeStep = z.infer<typeof stepSchema>;
export type ModelSpec = z.infer<typeof modelSchema>;
export type TrainingSpec = z.infer<typeof trainingSchema>;
export type TaskSpec = z.infer<typeof taskSchema>;
export type ObjectiveSpec = z.infer<typeof objectiveSchema>;
