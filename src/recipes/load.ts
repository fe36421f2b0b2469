import { promises as fs } from "node:fs";
import * as path from "node:path";
import { LineCounter, parseDocument, isNode, type Document } from "yaml";
import type { z } from "zod";
import { BabelbedError } from "../util/errors.js";
import { recipeSchema, type Recipe } from "./schema.js";

export interface LoadedRecipe {
  recipe: Recipe;
  file: string;
  /** Relative paths in the recipe are resolved against this (the recipe's folder). */
  directory: string;
}

/** Read and validate a recipe; every problem is reported as FILE:LINE: field: what was expected. */
export async function loadRecipe(file: string): Promise<LoadedRecipe> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (error) {
    throw new BabelbedError(`${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return { recipe: parseRecipe(text, file), file: path.resolve(file), directory: path.dirname(path.resolve(file)) };
}

export function parseRecipe(text: string, file: string): Recipe {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (document.errors.length > 0) {
    const error = document.errors[0]!;
    const { line } = lines.linePos(error.pos[0]);
    throw new BabelbedError(`${file}:${line}: invalid YAML: ${error.message.split("\n")[0]}`);
  }
  let value: unknown;
  try {
    // yaml refuses aliases that expand beyond reason ("billion laughs"): an input error like any other.
    value = document.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    throw new BabelbedError(`${file}: cannot read the YAML: ${(error as Error).message}`);
  }
  const result = recipeSchema.safeParse(value);
  if (!result.success) throw new BabelbedError(describeIssues(result.error.issues, document, lines, file));
  return result.data;
}

function describeIssues(issues: z.core.$ZodIssue[], document: Document, lines: LineCounter, file: string): string {
  return issues
    .slice(0, 10)
    .map((issue) => {
      const where = issue.path.map(String);
      const line = lineOf(document, lines, issue.path as (string | number)[]);
      const field = where.length > 0 ? `field ${where.join(".")}: ` : "";
      return `${file}:${line}: ${field}${issue.message}`;
    })
    .join("\n");
}

/** The line of the deepest node of `keys` that exists in the document (a missing field points at its parent). */
function lineOf(document: Document, lines: LineCounter, keys: (string | number)[]): number {
  for (let depth = keys.length; depth >= 0; depth--) {
    const node = document.getIn(keys.slice(0, depth), true);
    if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
  }
  return 1;
}
