import * as tf from "@tensorflow/tfjs";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { readSafetensors } from "../../src/io/safetensors.js";
import { configFromJson, type TransformerConfig } from "../../src/model/config.js";
import { Transformer } from "../../src/model/transformer.js";

export const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const sharedRoot = path.resolve(repositoryRoot, "../shared");
export const fixturesRoot = path.join(sharedRoot, "fixtures");
export const dataRoot = path.join(sharedRoot, "data");

/** `test(..., { skip })` value: false when the fixtures are there, else the reason shown in the report. */
export const skipWithoutFixtures: false | string = existsSync(fixturesRoot)
  ? false
  : `needs ${fixturesRoot} (the shared reference fixtures), which is absent`;

export const skipWithoutData: false | string = existsSync(dataRoot)
  ? false
  : `needs ${dataRoot} (the shared public data), which is absent`;

export const fixtureNames = ["tiny-bert", "tiny-bert-uncased"] as const;
export type FixtureName = (typeof fixtureNames)[number];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Expected = any;

const expectedCache = new Map<string, Expected>();
export function loadExpected(name: FixtureName): Expected {
  let expected = expectedCache.get(name);
  if (expected === undefined) {
    expected = JSON.parse(readFileSync(path.join(fixturesRoot, name, "expected.json"), "utf8"));
    expectedCache.set(name, expected);
  }
  return expected;
}

export function fixtureConfig(name: FixtureName): TransformerConfig {
  return configFromJson(JSON.parse(readFileSync(path.join(fixturesRoot, name, "config.json"), "utf8")));
}

/** Tensors of a safetensors file as tfjs tensors; the caller disposes them. */
export async function loadTensors(file: string): Promise<Map<string, tf.Tensor>> {
  const { tensors } = await readSafetensors(file);
  const result = new Map<string, tf.Tensor>();
  for (const [name, tensor] of tensors) result.set(name, tf.tensor(tensor.data as Float32Array, tensor.shape));
  return result;
}

export async function loadFixtureTransformer(name: FixtureName): Promise<Transformer> {
  const weights = await loadTensors(path.join(fixturesRoot, name, "model.safetensors"));
  const model = new Transformer(fixtureConfig(name), weights);
  tf.dispose([...weights.values()]);
  return model;
}

/** Largest absolute difference between two nested arrays of numbers of the same shape. */
export function maxAbsDifference(actual: unknown, expected: unknown): number {
  if (typeof expected === "number") return Math.abs((actual as number) - expected);
  const a = actual as ArrayLike<unknown>;
  const e = expected as ArrayLike<unknown>;
  if (a.length !== e.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < e.length; i++) worst = Math.max(worst, maxAbsDifference(a[i], e[i]));
  return worst;
}
