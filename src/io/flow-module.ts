import * as tf from "@tensorflow/tfjs";
import * as path from "node:path";
import { Flow, flowTensorShapes, type FlowConfig } from "../model/flow.js";
import { BabelbedError } from "../util/errors.js";
import { exists, writeJsonAtomic } from "../util/files.js";
import { booleanField, positiveInteger, readJsonObject, stringField } from "./json-fields.js";
import { readSafetensors, writeSafetensors } from "./safetensors.js";

/** The `architecture` value of a flow module's config.json; sentence-transformers has no such module. */
export const flowArchitecture = "babelbed-glow-flow";

/** Where a model directory keeps its flow: a folder that sentence-transformers' modules.json does not name. */
export const flowFolder = "babelbed_flow";

/** What saving or exporting a model with a flow says instead. */
export const flowExportRefusal =
  "the model ends in a BERT-flow, which sentence-transformers cannot load (it has no flow module) and the tfjs export does not carry; " +
  "export the model the flow was fitted on, or use this one with babelbed (encode, evaluate, distill)";

/**
 * The flow of a model directory (`babelbed_flow/`), checked against the width of the vectors it
 * maps; undefined when the model has none.
 */
export async function loadEncoderFlow(modelDirectory: string, dimension: number): Promise<Flow | undefined> {
  const dir = path.join(modelDirectory, flowFolder);
  if (!(await exists(dir))) return undefined;
  const flow = await loadFlowModule(dir);
  if (flow.config.dimension !== dimension) {
    flow.dispose();
    throw new BabelbedError(
      `${path.join(dir, "config.json")}: the flow maps ${flow.config.dimension}-dimensional vectors, but the model gives ${dimension}`,
    );
  }
  return flow;
}

/**
 * Saves a BERT-flow (Li et al. 2020) as its own module folder: `config.json` (the plain
 * config, snake_case as HF writes configs) and `model.safetensors`. sentence-transformers
 * cannot load it; only babelbed reads it back.
 */
export async function saveFlowModule(flow: Flow, dir: string): Promise<void> {
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, tensor] of flow.tensors())
    tensors.set(name, { shape: tensor.shape, data: (await tensor.data()) as Float32Array });
  await writeSafetensors(path.join(dir, "model.safetensors"), tensors, { format: "babelbed" });
  await writeJsonAtomic(path.join(dir, "config.json"), {
    architecture: flowArchitecture,
    dimension: flow.config.dimension,
    steps: flow.config.steps,
    hidden_size: flow.config.hiddenSize,
    act_norm: flow.config.actNorm ?? true,
  });
}

/** Reads a folder written by `saveFlowModule`; every bad file, field or tensor is named. */
export async function loadFlowModule(dir: string): Promise<Flow> {
  const configFile = path.join(dir, "config.json");
  if (!(await exists(configFile)))
    throw new BabelbedError(`${configFile}: missing (a flow module has config.json and model.safetensors)`);
  const json = await readJsonObject(configFile);
  const architecture = stringField(json, "architecture", configFile);
  if (architecture !== flowArchitecture) {
    throw new BabelbedError(
      `${configFile}: field "architecture" is ${JSON.stringify(architecture)}, expected "${flowArchitecture}"`,
    );
  }
  const config: FlowConfig = {
    dimension: positiveInteger(json, "dimension", configFile),
    steps: positiveInteger(json, "steps", configFile),
    hiddenSize: positiveInteger(json, "hidden_size", configFile),
    actNorm: booleanField(json, "act_norm", configFile, true),
  };
  if (config.dimension < 2)
    throw new BabelbedError(`${configFile}: field "dimension" must be at least 2, got ${config.dimension}`);
  const weightsFile = path.join(dir, "model.safetensors");
  if (!(await exists(weightsFile))) throw new BabelbedError(`${weightsFile}: missing (flow weights)`);
  const { tensors } = await readSafetensors(weightsFile);
  const weights = new Map<string, tf.Tensor>();
  try {
    for (const [name, shape] of flowTensorShapes(config)) {
      const found = tensors.get(name);
      if (found === undefined) throw new BabelbedError(`${weightsFile}: tensor "${name}" is missing`);
      if (!(found.data instanceof Float32Array) || found.shape.join(",") !== shape.join(",")) {
        throw new BabelbedError(
          `${weightsFile}: tensor "${name}" is ${found.dtype} ${JSON.stringify(found.shape)}, expected float ${JSON.stringify(shape)}`,
        );
      }
      const bad = found.data.findIndex((value) => !Number.isFinite(value));
      if (bad >= 0)
        throw new BabelbedError(`${weightsFile}: tensor "${name}" holds ${found.data[bad]} at index ${bad}`);
      weights.set(name, tf.tensor(found.data, shape));
    }
    return new Flow(config, weights);
  } finally {
    tf.dispose([...weights.values()]);
  }
}
