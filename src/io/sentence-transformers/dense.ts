import * as path from "node:path";
import { BabelbedError } from "../../util/errors.js";
import { exists, writeJsonAtomic } from "../../util/files.js";
import { booleanField, positiveInteger, readJsonObject, stringField } from "../json-fields.js";
import { readSafetensors, writeSafetensors } from "../safetensors.js";
import type { DenseActivation } from "../../model/dense.js";
import type { DenseSpec } from "./modules.js";

const activationNames: Record<string, DenseActivation> = {
  "torch.nn.modules.linear.Identity": "identity",
  "torch.nn.Identity": "identity",
  "torch.nn.modules.activation.Tanh": "tanh",
  "torch.nn.Tanh": "tanh",
};
const activationTypes: Record<DenseActivation, string> = {
  identity: "torch.nn.modules.linear.Identity",
  tanh: "torch.nn.modules.activation.Tanh",
};

export async function readDenseModule(dir: string, modulePath: string): Promise<DenseSpec> {
  const folder = path.join(dir, modulePath);
  const configFile = path.join(folder, "config.json");
  const json = await readJsonObject(configFile);
  const inFeatures = positiveInteger(json, "in_features", configFile);
  const outFeatures = positiveInteger(json, "out_features", configFile);
  const bias = booleanField(json, "bias", configFile, true);
  // sentence-transformers' Dense defaults to Tanh when no activation is saved.
  const activationType = stringField(json, "activation_function", configFile) ?? activationTypes.tanh;
  const activation = Object.hasOwn(activationNames, activationType) ? activationNames[activationType] : undefined;
  if (activation === undefined) {
    throw new BabelbedError(
      `${configFile}: field "activation_function" is "${activationType}"; babelbed supports Identity and Tanh`,
    );
  }
  const weightsFile = path.join(folder, "model.safetensors");
  if (!(await exists(weightsFile))) {
    const legacy = await exists(path.join(folder, "pytorch_model.bin"));
    throw new BabelbedError(
      legacy
        ? `${folder}: Dense weights are only in pytorch_model.bin, which babelbed cannot read; re-save the model with safetensors: ` +
            `python -c "from sentence_transformers import SentenceTransformer; SentenceTransformer('${dir}').save('${dir}')"`
        : `${weightsFile}: missing (Dense weights)`,
    );
  }
  const { tensors } = await readSafetensors(weightsFile, { select: (name) => name.startsWith("linear.") });
  const tensor = (name: string, shape: number[]): Float32Array => {
    const found = tensors.get(name);
    if (found === undefined) throw new BabelbedError(`${weightsFile}: tensor "${name}" is missing`);
    if (!(found.data instanceof Float32Array) || found.shape.join(",") !== shape.join(",")) {
      throw new BabelbedError(
        `${weightsFile}: tensor "${name}" is ${found.dtype} ${JSON.stringify(found.shape)}, expected float ${JSON.stringify(shape)}`,
      );
    }
    return found.data;
  };
  const weight = tensor("linear.weight", [outFeatures, inFeatures]);
  const biasValues = bias ? tensor("linear.bias", [outFeatures]) : undefined;
  return {
    kind: "dense",
    path: modulePath,
    inFeatures,
    outFeatures,
    bias,
    activation,
    weight,
    ...(biasValues ? { biasValues } : {}),
  };
}

export async function writeDenseModule(dir: string, spec: DenseSpec): Promise<void> {
  const folder = path.join(dir, spec.path);
  const where = `Dense module "${spec.path}"`;
  if (spec.weight.length !== spec.outFeatures * spec.inFeatures) {
    throw new BabelbedError(
      `${where}: weight has ${spec.weight.length} values, expected ${spec.outFeatures} x ${spec.inFeatures}`,
    );
  }
  const tensors = new Map([["linear.weight", { shape: [spec.outFeatures, spec.inFeatures], data: spec.weight }]]);
  if (spec.bias) {
    if (spec.biasValues?.length !== spec.outFeatures) {
      throw new BabelbedError(
        `${where}: bias is on but biasValues has ${spec.biasValues?.length ?? 0} values, expected ${spec.outFeatures}`,
      );
    }
    tensors.set("linear.bias", { shape: [spec.outFeatures], data: spec.biasValues });
  }
  // Same metadata as torch's save_model, so the file matches one written from Python.
  await writeSafetensors(path.join(folder, "model.safetensors"), tensors, { format: "pt" });
  await writeJsonAtomic(path.join(folder, "config.json"), {
    in_features: spec.inFeatures,
    out_features: spec.outFeatures,
    bias: spec.bias,
    activation_function: activationTypes[spec.activation],
  });
}
