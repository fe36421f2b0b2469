import { mkdir, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { repositoryRoot } from "./fixtures.js";

const dataset = (name: string) => path.join(repositoryRoot, "datasets", name).replaceAll("\\", "/");

/**
 * A two-step recipe that trains in about a second: a 1-layer teacher with hidden size 16 for
 * `steps` steps on the English STS pairs (checkpointed every 2 steps), then an STS evaluation of it.
 */
export function tinyRecipeText(options: { name?: string; steps?: number; seed?: number; extra?: string } = {}): string {
  return `name: ${options.name ?? "tiny"}
seed: ${options.seed ?? 7}
steps:
  - step: train-teacher
    name: teacher
    model:
      fresh: { hiddenSize: 16, layers: 1, heads: 2, intermediateSize: 32, dropout: 0.1, vocabulary: { size: 300, lowercase: true } }
      pooling: mean
      maxSeqLength: 24
    objectives:
      - type: regression
        data: { kind: scored-pairs, file: ${dataset("en-sts/train.tsv")}, format: tsv, header: true, scoreRange: [0, 5] }
    training: { maxSteps: ${options.steps ?? 6}, batchSize: 8, learningRate: 1.0e-3, checkpointEvery: 2 }
  - step: evaluate
    name: check
    model: teacher
    tasks:
      - task: sts
        name: en-sts
        data: { kind: scored-pairs, file: ${dataset("en-sts/test.tsv")}, format: tsv, header: true, scoreRange: [0, 5] }
${options.extra ?? ""}`;
}

/** Write the tiny recipe into `dir` and return its path. */
export async function writeTinyRecipe(
  dir: string,
  options: Parameters<typeof tinyRecipeText>[0] = {},
  file = "tiny.yaml",
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const recipe = path.join(dir, file);
  await writeFile(recipe, tinyRecipeText(options));
  return recipe;
}
