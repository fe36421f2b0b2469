import { promises as fs } from "node:fs";
import * as path from "node:path";
import { BabelbedError } from "../../util/errors.js";
import { exists, readJsonFile, writeJsonAtomic } from "../../util/files.js";
import { isObject, positiveInteger, readJsonObject, readOptionalJsonObject } from "../json-fields.js";
import { poolingList } from "../../model/pooling.js";
import { writeSentenceTransformerConfig, type LayoutWriteOptions } from "./config.js";
import { readDenseModule, writeDenseModule } from "./dense.js";
import type { ModuleSpec } from "./modules.js";
import { writeNormalizeModule } from "./normalize.js";
import { formatPoolingConfig, readPoolingModule } from "./pooling.js";
import { inferMaxSeqLength, readTransformerModule, writeTransformerModule } from "./transformer.js";

/**
 * The sentence-transformers directory layout as plain data: modules.json lists the
 * pipeline, each module keeps its settings (and Dense its weights) in its own folder.
 */

type ModuleKind = ModuleSpec["kind"];

/**
 * The type strings written to modules.json. These legacy import paths load in every
 * sentence-transformers release, including 6, which moved the classes but keeps aliases.
 */
const moduleTypes: Record<ModuleKind, string> = {
  transformer: "sentence_transformers.models.Transformer",
  pooling: "sentence_transformers.models.Pooling",
  dense: "sentence_transformers.models.Dense",
  normalize: "sentence_transformers.models.Normalize",
};
const classNames: Record<ModuleKind, string> = {
  transformer: "Transformer",
  pooling: "Pooling",
  dense: "Dense",
  normalize: "Normalize",
};

/** Reads both spellings: `sentence_transformers.models.Pooling` and the 6.x module paths. */
function kindOfType(type: string): ModuleKind | undefined {
  if (!type.startsWith("sentence_transformers.")) return undefined;
  const className = type.slice(type.lastIndexOf(".") + 1);
  return (Object.keys(classNames) as ModuleKind[]).find((kind) => classNames[kind] === className);
}

/** The folder sentence-transformers would save module `index` to: `1_Pooling`, `2_Dense`, ... */
export function defaultModulePath(index: number, kind: ModuleKind): string {
  return index === 0 && kind === "transformer" ? "" : `${index}_${classNames[kind]}`;
}

function checkModulePath(modulePath: string, kind: ModuleKind, where: string): void {
  if (kind !== "transformer" && modulePath === "") {
    throw new BabelbedError(`${where}: a ${classNames[kind]} module needs its own folder, got an empty path`);
  }
  const normalized = path.posix.normalize(modulePath.replaceAll("\\", "/"));
  if (path.isAbsolute(modulePath) || normalized.startsWith("../") || normalized === "..") {
    throw new BabelbedError(`${where}: module path ${JSON.stringify(modulePath)} must stay inside the model directory`);
  }
}

/**
 * The pipelines babelbed can run: Transformer, Pooling, any Dense layers whose sizes chain,
 * and an optional final Normalize.
 */
export function validatePipeline(modules: ModuleSpec[], source: string): void {
  if (modules[0]?.kind !== "transformer") throw new BabelbedError(`${source}: the first module must be a Transformer`);
  if (modules[1]?.kind !== "pooling") throw new BabelbedError(`${source}: the second module must be a Pooling module`);
  const seen = new Set<string>();
  let dimension = modules[1].dimension * poolingList(modules[1].mode).length;
  modules.forEach((module, index) => {
    const where = `${source}: module ${index} (${classNames[module.kind]})`;
    checkModulePath(module.path, module.kind, where);
    if (seen.has(module.path)) throw new BabelbedError(`${where}: path ${JSON.stringify(module.path)} is used twice`);
    seen.add(module.path);
    if (index < 2) return;
    if (module.kind === "transformer" || module.kind === "pooling") {
      throw new BabelbedError(`${where}: only Dense and Normalize modules may follow Pooling`);
    }
    if (module.kind === "normalize" && index !== modules.length - 1) {
      throw new BabelbedError(`${where}: Normalize must be the last module`);
    }
    if (module.kind === "dense") {
      if (module.inFeatures !== dimension) {
        throw new BabelbedError(
          `${where}: in_features ${module.inFeatures} does not match the ${dimension}-dimensional input`,
        );
      }
      dimension = module.outFeatures;
    }
  });
}

/** What sentence-transformers builds for a plain Hugging Face model: Transformer, then mean Pooling. */
async function defaultPipeline(dir: string): Promise<ModuleSpec[]> {
  const configFile = path.join(dir, "config.json");
  if (!(await exists(configFile))) {
    throw new BabelbedError(
      `${dir}: neither modules.json nor config.json; not a sentence-transformers or Hugging Face model directory`,
    );
  }
  const config = await readJsonObject(configFile);
  // DistilBERT calls its width "dim".
  const dimension = positiveInteger(
    config,
    config.dim !== undefined && config.hidden_size === undefined ? "dim" : "hidden_size",
    configFile,
  );
  return [
    { kind: "transformer", path: "", maxSeqLength: await inferMaxSeqLength(dir), doLowerCase: false },
    { kind: "pooling", path: defaultModulePath(1, "pooling"), mode: "mean", dimension, includePrompt: true },
  ];
}

async function readModule(dir: string, entry: unknown, index: number, modulesFile: string): Promise<ModuleSpec> {
  if (!isObject(entry)) throw new BabelbedError(`${modulesFile}: entry ${index} must be an object`);
  const { type, path: modulePath, name } = entry;
  const label = `${modulesFile}: entry ${index} (name ${JSON.stringify(name ?? String(index))})`;
  if (typeof type !== "string") throw new BabelbedError(`${label}: field "type" must be a string`);
  if (typeof modulePath !== "string") throw new BabelbedError(`${label}: field "path" must be a string`);
  const kind = kindOfType(type);
  if (kind === undefined) {
    throw new BabelbedError(
      `${label}: module type "${type}" is not supported; babelbed reads Transformer, Pooling, Dense and Normalize`,
    );
  }
  checkModulePath(modulePath, kind, label);
  switch (kind) {
    case "transformer":
      return readTransformerModule(dir, modulePath);
    case "pooling":
      return readPoolingModule(dir, modulePath);
    case "dense":
      return readDenseModule(dir, modulePath);
    case "normalize":
      // Normalize has no settings; its folder is often missing and need not exist.
      return { kind: "normalize", path: modulePath };
  }
}

/**
 * Reads the module pipeline of a sentence-transformers directory. A directory without
 * modules.json is read as a plain Hugging Face model with the default mean pooling.
 */
export async function readSentenceTransformerLayout(dir: string): Promise<ModuleSpec[]> {
  const stat = await fs.stat(dir).catch(() => undefined);
  if (!stat?.isDirectory()) throw new BabelbedError(`${dir}: not a directory`);
  const modulesFile = path.join(dir, "modules.json");
  if (!(await exists(modulesFile))) return defaultPipeline(dir);
  const entries = await readJsonFile(modulesFile);
  if (!Array.isArray(entries) || entries.length === 0)
    throw new BabelbedError(`${modulesFile}: expected a non-empty list of modules`);
  const modules: ModuleSpec[] = [];
  for (const [index, entry] of entries.entries()) modules.push(await readModule(dir, entry, index, modulesFile));
  validatePipeline(modules, modulesFile);
  // Catch a pooling config copied from another model before any weights are loaded.
  const transformer = modules[0]!;
  const configFile = path.join(dir, transformer.path, "config.json");
  const config = await readOptionalJsonObject(configFile);
  const pooling = modules[1] as Extract<ModuleSpec, { kind: "pooling" }>;
  const widthKey = config?.hidden_size === undefined && config?.dim !== undefined ? "dim" : "hidden_size";
  const width = config?.[widthKey];
  if (typeof width === "number" && width !== pooling.dimension) {
    throw new BabelbedError(
      `${path.join(dir, pooling.path, "config.json")}: pooling dimension ${pooling.dimension} does not match "${widthKey}" ${width} in ${configFile}`,
    );
  }
  return modules;
}

/**
 * Writes the sentence-transformers files of a pipeline: modules.json,
 * config_sentence_transformers.json, sentence_bert_config.json, the Pooling config,
 * Dense configs and weights, and Normalize folders. The transformer's own config.json,
 * weights and tokenizer files are the model's to write.
 */
export async function writeSentenceTransformerLayout(
  dir: string,
  modules: ModuleSpec[],
  options: LayoutWriteOptions = {},
): Promise<void> {
  validatePipeline(modules, dir);
  for (const module of modules) {
    switch (module.kind) {
      case "transformer":
        await writeTransformerModule(dir, module);
        break;
      case "pooling":
        await writeJsonAtomic(
          path.join(dir, module.path, "config.json"),
          formatPoolingConfig(module, options.poolingConfigStyle ?? "compatible"),
        );
        break;
      case "dense":
        await writeDenseModule(dir, module);
        break;
      case "normalize":
        await writeNormalizeModule(dir, module);
        break;
    }
  }
  await writeSentenceTransformerConfig(dir, options);
  // modules.json goes last: it is what makes a directory a pipeline, so an interrupted
  // write into a fresh directory never leaves one pointing at files not yet written.
  await writeJsonAtomic(
    path.join(dir, "modules.json"),
    modules.map((module, index) => ({
      idx: index,
      name: String(index),
      path: module.path,
      type: moduleTypes[module.kind],
    })),
  );
}
