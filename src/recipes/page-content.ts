import * as path from "node:path";
import { openDataSource } from "../data/rows.js";
import type { DataSourceInput } from "../data/source.js";
import type { PageContent } from "../io/tfjs/page.js";
import { languageCode } from "../io/tfjs/samples.js";
import type { RunContext } from "./context.js";

/** The fields of an export step the page reads (its type lives with the step, which imports this file). */
interface ExportStep {
  name: string;
  model: string;
  languages?: string[] | undefined;
}

/** Pairs the page starts with, and how many rows are searched for short ones. */
const samplePairs = 3;
const searchedRows = 2000;

/**
 * What a tfjs export's page says about its model: the recipe's and model's names, the languages
 * (the step's `languages`, else the codes in the names of its training data's files, as
 * `stsb-de-train.csv` or `tatoeba.deu-eng.deu`), and a few short pairs of that data.
 */
export async function pageContent(context: RunContext, step: ExportStep): Promise<PageContent> {
  const trained = context.recipe.steps.find((candidate) => candidate.name === step.model);
  const parallel =
    trained !== undefined && "data" in trained
      ? (trained.data as DataSourceInput[]).filter((spec) => spec.kind === "parallel")
      : [];
  const languages = step.languages ?? unique(parallel.flatMap((spec) => dataFiles(spec).flatMap(languagesInFileName)));
  let samples: string[] | undefined;
  if (parallel.length > 0) {
    try {
      samples = await shortPairs(parallel[0]!, context.recipeDirectory);
    } catch (error) {
      context.log(
        `${step.name}: no sample sentences from ${step.model}'s data (${(error as Error).message}); the page shows built-in ones`,
      );
    }
  }
  // A model given as a folder rather than a step is named by its folder, not its whole path.
  const model = trained !== undefined ? step.model : path.basename(path.resolve(context.recipeDirectory, step.model));
  return {
    name: `${context.recipe.name} ${model}`,
    languages,
    samples: samples !== undefined && samples.length > 0 ? samples : undefined,
  };
}

function dataFiles(spec: DataSourceInput): string[] {
  if (spec.kind === "parallel" && spec.files !== undefined) return [spec.files.source, spec.files.target];
  return spec.file === undefined ? [] : [spec.file];
}

/** Language codes among the words of a file's name and its folder's (`datasets/en-ja/train.tsv` → en, ja). */
export function languagesInFileName(file: string): string[] {
  const words = [path.basename(path.dirname(file)), path.basename(file)].flatMap((part) =>
    part.toLowerCase().split(/[^a-z]+/),
  );
  return words.filter((word) => word.length === 2 || word.length === 3).flatMap((word) => languageCode(word) ?? []);
}

/** The first few pairs with both sides short enough to read in a table row, source then target. */
async function shortPairs(spec: DataSourceInput, baseDirectory: string): Promise<string[]> {
  const reader = openDataSource(
    { ...spec, kind: "parallel", onBadRows: "skip" } as DataSourceInput & { kind: "parallel" },
    { baseDirectory },
  );
  const sentences: string[] = [];
  let rows = 0;
  for await (const pair of reader) {
    const fits = (text: string) => text.trim().length >= 8 && text.length <= 70;
    if (fits(pair.source) && fits(pair.target) && !sentences.includes(pair.source))
      sentences.push(pair.source.trim(), pair.target.trim());
    if (sentences.length >= 2 * samplePairs || ++rows >= searchedRows) break;
  }
  return sentences;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
