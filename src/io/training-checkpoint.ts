import * as tf from "@tensorflow/tfjs";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import type { Resumable } from "../train/resumable.js";
import { BabelbedError } from "../util/errors.js";
import { exists, readJsonFile, swapDirectory, temporarySibling, writeJsonAtomic } from "../util/files.js";
import { readSafetensors, writeSafetensors, type WritableTensor } from "./safetensors.js";

/**
 * A resumable training checkpoint: every trainable tensor (encoder, row-sparse tables and
 * heads) under its name, the AdamW moments, and the loop's own state (step, generators)
 * with `extra` beside it in `trainer.json`. Works for any `Resumable` loop: the Siamese and
 * distillation trainer, LaBSE's pre-training and its dual encoder.
 * Written beside the target and renamed into place, so a crash mid-write keeps the last one.
 */
export async function saveTrainingCheckpoint<State extends object>(
  dir: string,
  trainer: Resumable<State>,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const target = path.resolve(dir);
  const staging = temporarySibling(target);
  await fs.mkdir(staging, { recursive: true });
  try {
    const parameters = new Map<string, tf.Tensor>();
    for (const [name, variable] of trainer.parameters()) parameters.set(name, variable.clone());
    // Rows as stored: the optimizer state records the steps they still owe (exact AdamW).
    for (const table of trainer.sparseTables()) parameters.set(table.name, table.storedTensor());
    await writeSafetensors(path.join(staging, "parameters.safetensors"), await release(parameters));
    await writeSafetensors(
      path.join(staging, "optimizer.safetensors"),
      await release(trainer.optimizer.stateTensors()),
    );
    await writeJsonAtomic(path.join(staging, "trainer.json"), {
      ...trainer.state(),
      totalSteps: trainer.totalSteps,
      ...extra,
    });
    await swapDirectory(staging, target);
  } catch (error) {
    await fs.rm(staging, { recursive: true, force: true });
    throw error;
  }
}

/** True when `dir` holds a checkpoint that `loadTrainingCheckpoint` can read. */
export async function hasTrainingCheckpoint(dir: string): Promise<boolean> {
  return exists(path.join(dir, "trainer.json"));
}

/**
 * Restore a checkpoint written by `saveTrainingCheckpoint` into a loop built the same way:
 * its JSON state first (the loop may reshape itself for it), then every tensor, then AdamW.
 * Returns the JSON, `extra` included.
 */
export async function loadTrainingCheckpoint<State extends object>(
  dir: string,
  trainer: Resumable<State>,
): Promise<State & Record<string, unknown>> {
  const stateFile = path.join(dir, "trainer.json");
  if (!(await exists(stateFile))) throw new BabelbedError(`${dir}: not a training checkpoint (no trainer.json)`);
  const state = await readJsonFile<State & Record<string, unknown>>(stateFile);
  trainer.restore(state);
  const stored = (await readSafetensors(path.join(dir, "parameters.safetensors"))).tensors;
  const parameters = trainer.parameters();
  const tables = new Map(trainer.sparseTables().map((table) => [table.name, table]));
  for (const name of [...parameters.keys(), ...tables.keys()]) {
    if (!stored.has(name))
      throw new BabelbedError(
        `${dir}/parameters.safetensors: tensor "${name}" is missing; was the checkpoint written by a different recipe?`,
      );
  }
  for (const [name, data] of stored) {
    const values = tf.tensor(data.data as Float32Array, data.shape, "float32");
    const variable = parameters.get(name);
    const table = tables.get(name);
    try {
      if (variable !== undefined && variable.shape.join() === values.shape.join()) variable.assign(values);
      else if (table !== undefined) table.assign(values as tf.Tensor2D);
      else
        throw new BabelbedError(
          `${dir}/parameters.safetensors: tensor "${name}" [${data.shape.join(", ")}] fits no parameter of this model`,
        );
    } finally {
      values.dispose();
    }
  }
  const optimizerState = new Map<string, tf.Tensor>();
  for (const [name, data] of (await readSafetensors(path.join(dir, "optimizer.safetensors"))).tensors) {
    optimizerState.set(
      name,
      name === "step"
        ? tf.scalar(Number((data.data as Int32Array)[0]), "int32")
        : tf.tensor(data.data as Float32Array, data.shape),
    );
  }
  trainer.optimizer.loadState(optimizerState, trainer.sparseTables());
  tf.dispose([...optimizerState.values()]);
  return state;
}

async function release(named: Map<string, tf.Tensor>): Promise<Map<string, WritableTensor>> {
  const result = new Map<string, WritableTensor>();
  for (const [name, tensor] of named) {
    const data =
      tensor.dtype === "int32" ? ((await tensor.data()) as Int32Array) : ((await tensor.data()) as Float32Array);
    result.set(name, { shape: tensor.shape, data });
    tensor.dispose();
  }
  return result;
}
