import * as path from "node:path";
import { readSentenceTransformerLayout } from "../io/sentence-transformers/index.js";
import { inspectModelDirectory } from "../io/model-directory.js";
import { poolingList } from "../model/pooling.js";
import { BabelbedError } from "../util/errors.js";
import { exists } from "../util/files.js";
import type { ModelSpec, Recipe } from "./schema.js";

/**
 * The width of a model directory's sentence vectors, read from its config files only (no
 * weights are loaded): the last Dense layer's outFeatures, else the hidden size once per
 * pooling mode. `pooling` overrides the directory's own, as a recipe's model spec does.
 */
export async function directoryWidth(directory: string, pooling?: ModelSpec["pooling"]): Promise<number> {
  const modules = await readSentenceTransformerLayout(directory);
  const dense = modules.filter((module) => module.kind === "dense");
  const last = dense.at(-1);
  if (last !== undefined && last.kind === "dense") return last.outFeatures;
  const transformer = modules.find((module) => module.kind === "transformer")!;
  const stored = modules.find((module) => module.kind === "pooling");
  const found = await inspectModelDirectory(path.join(directory, transformer.path), { requireTokenizer: false });
  const hidden = found.config.hidden_size ?? found.config.dim ?? found.config.d_model;
  if (typeof hidden !== "number")
    throw new BabelbedError(`${found.configFile}: no hidden_size to tell the width of its vectors`);
  const modes = pooling ?? (stored?.kind === "pooling" ? stored.mode : "mean");
  return hidden * poolingList(modes).length;
}

/** A step's model spec and, for a distill student, the teacher it is sized to. */
function trainedModel(recipe: Recipe, name: string): { spec: ModelSpec; teacher?: string; index: number } | undefined {
  const index = recipe.steps.findIndex((step) => step.name === name);
  const step = recipe.steps[index];
  if (step === undefined) return undefined;
  if (step.step === "distill") return { spec: step.student, teacher: step.teacher, index };
  if (step.step === "train-teacher" || step.step === "pretrain" || step.step === "dual-encoder")
    return { spec: step.model, index };
  return undefined;
}

/**
 * What `babelbed run` would find out only after loading the teacher and computing its vectors:
 * whether each distill student's vectors are as wide as its teacher's. Model references are
 * earlier steps (their specs are followed) or directories relative to the recipe. Throws the
 * same `steps.N.student.dense` error the distill step gives.
 */
export async function checkModelWidths(recipe: Recipe, recipeDirectory: string, file?: string): Promise<void> {
  const memo = new Map<string, Promise<number>>();
  const reference = (name: string, before: number): Promise<number> => {
    const key = `${name}@${before}`;
    if (!memo.has(key)) memo.set(key, referenceWidth(name, before));
    return memo.get(key)!;
  };
  const referenceWidth = async (name: string, before: number): Promise<number> => {
    const step = trainedModel(recipe, name);
    if (step !== undefined && step.index < before) return specWidth(step.spec, step.index, step.teacher);
    const directory = path.resolve(recipeDirectory, name);
    if (!(await exists(directory)))
      throw new BabelbedError(
        `model "${name}" is neither an earlier step of the recipe nor a directory (${directory})`,
      );
    return directoryWidth(directory);
  };
  const specWidth = async (spec: ModelSpec, index: number, teacher?: string): Promise<number> => {
    if (spec.dense === "teacher") return teacher === undefined ? Number.NaN : reference(teacher, index);
    if (spec.dense !== undefined) return spec.dense.outFeatures;
    if (spec.fresh !== undefined) return spec.fresh.hiddenSize * poolingList(spec.pooling ?? "mean").length;
    const step = trainedModel(recipe, spec.from!);
    if (step !== undefined && step.index < index) {
      const width = await specWidth(step.spec, step.index, step.teacher);
      // A pooling override on an earlier step's model without a Dense layer changes its width.
      return spec.pooling === undefined || step.spec.dense !== undefined
        ? width
        : (width / poolingList(step.spec.pooling ?? "mean").length) * poolingList(spec.pooling).length;
    }
    return directoryWidth(path.resolve(recipeDirectory, spec.from!), spec.pooling);
  };
  const where = file === undefined ? "" : `${file}: `;
  for (const [index, step] of recipe.steps.entries()) {
    if (step.step !== "distill") continue;
    const teacher = await reference(step.teacher, index);
    const student = await specWidth(step.student, index, step.teacher);
    if (student === teacher) continue;
    throw new BabelbedError(
      `${where}steps.${index}.student.dense: the teacher's vectors have ${teacher} dimensions and the student's ${student}; ` +
        `add "dense: teacher" to the student (a linear layer to the teacher's width)` +
        (step.student.dense === undefined ? "" : `, or make its outFeatures ${teacher}`),
    );
  }
}
