import { readFile, writeFile } from "node:fs/promises";
import { readSafetensors, writeSafetensors } from "../../src/io/safetensors.js";

type Tensors = Map<string, { shape: number[]; data: Float32Array }>;

/** Rewrite a float32 safetensors file after `edit` changes its tensors: how the bad-model tests forge a checkpoint. */
export async function editSafetensors(file: string, edit: (tensors: Tensors) => void): Promise<void> {
  const tensors = (await readSafetensors(file)).tensors as unknown as Tensors;
  edit(tensors);
  await writeSafetensors(file, tensors);
}

/** Rewrite a JSON file (a config) after `edit` changes it. */
export async function editJson(file: string, edit: (json: Record<string, unknown>) => void): Promise<void> {
  const json = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
  edit(json);
  await writeFile(file, JSON.stringify(json));
}
