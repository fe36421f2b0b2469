import { promises as fs } from "node:fs";
import * as path from "node:path";
import type { ModuleSpec } from "./modules.js";

type NormalizeSpec = Extract<ModuleSpec, { kind: "normalize" }>;

/** Normalize has no settings; its folder is often missing and need not exist. */
export function readNormalizeModule(modulePath: string): NormalizeSpec {
  return { kind: "normalize", path: modulePath };
}

/** sentence-transformers saves an empty folder for Normalize; so does babelbed. */
export async function writeNormalizeModule(dir: string, spec: NormalizeSpec): Promise<void> {
  await fs.mkdir(path.join(dir, spec.path), { recursive: true });
}
