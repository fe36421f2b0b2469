import { promises as fs } from "node:fs";
import * as path from "node:path";
import { InvalidArgumentError } from "commander";
import { parse as parseYaml } from "yaml";
import type { PageContent } from "../io/tfjs/page.js";
import { languageCode } from "../io/tfjs/samples.js";

/** `--languages en,de`: ISO 639 codes, checked against the page's table so that a typo is caught. */
export function parseLanguageCodes(value: string): string[] {
  const codes = value
    .split(",")
    .map((part) => part.trim().toLowerCase())
    .filter((part) => part !== "");
  const unknown = codes.filter((code) => languageCode(code) === undefined);
  if (codes.length === 0 || unknown.length > 0)
    throw new InvalidArgumentError(
      `expected ISO 639-1 codes such as en,de,ja; unknown: ${unknown.join(", ") || "(none given)"}`,
    );
  return codes.map((code) => languageCode(code)!);
}

/**
 * The page's name for a checkpoint: `en-de student` for a run's step folder (its run directory
 * holds recipe.resolved.yaml), else the checkpoint folder's own name, never the output's ("web").
 */
export async function checkpointPageContent(checkpoint: string, languages: string[] | undefined): Promise<PageContent> {
  const folder = path.basename(checkpoint);
  const recipe = await fs
    .readFile(path.join(path.dirname(checkpoint), "recipe.resolved.yaml"), "utf8")
    .catch(() => undefined);
  let name = folder;
  try {
    const recipeName = (parseYaml(recipe ?? "") as { name?: unknown } | null)?.name;
    if (typeof recipeName === "string") name = `${recipeName} ${folder}`;
  } catch {
    // Not a run's recipe: the folder's name will do.
  }
  return { name, languages: languages ?? [] };
}
