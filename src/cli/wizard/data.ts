import { promises as fs } from "node:fs";
import * as path from "node:path";
import { decodeLine, readLines, withoutCarriageReturn } from "../../data/lines.js";
import { joinCjk, openDataSource, type ParallelPair } from "../../data/rows.js";
import { heldOutIndices } from "../../data/shuffle.js";
import type { DataSourceInput } from "../../data/source.js";
import type { ParallelSpec } from "../../recipes/compose.js";
import type { Language } from "../../text/languages.js";
import { BabelbedError } from "../../util/errors.js";
import { openAtomicWriter } from "../../util/files.js";

/** The format a file's extension implies; anything else is taken as text, one sentence a line. */
export function formatOf(file: string): "csv" | "tsv" | "jsonl" | "lines" {
  const extension = path.extname(file).toLowerCase();
  if (extension === ".tsv") return "tsv";
  if (extension === ".csv") return "csv";
  if (extension === ".jsonl") return "jsonl";
  return "lines";
}

export async function requireFile(file: string): Promise<string> {
  const absolute = path.resolve(file);
  const stat = await fs.stat(absolute).catch(() => undefined);
  if (stat === undefined) throw new BabelbedError(`${file}: no such file`);
  if (!stat.isFile()) throw new BabelbedError(`${file}: not a file`);
  return absolute;
}

/** The cells of a csv/tsv file's first line, to guess whether it is a header and which column is which. */
export async function firstCells(file: string, format: "csv" | "tsv"): Promise<string[]> {
  for await (const { bytes } of readLines(file)) {
    const decoded = decodeLine(bytes);
    if (!decoded.ok) return [];
    return withoutCarriageReturn(decoded.text)
      .split(format === "tsv" ? "\t" : ",")
      .map((cell) => cell.trim().replace(/^"(.*)"$/, "$1"));
  }
  return [];
}

const sourceNames = ["en", "eng", "english", "source", "src"];
const targetNames = (language: Language) => [language.code, language.name.toLowerCase(), "target", "tgt"];

/** A header names the languages or the sides; a first row of sentences does not. */
export function looksLikeHeader(cells: string[], language: Language): boolean {
  const names = new Set([...sourceNames, ...targetNames(language)]);
  return cells.some((cell) => names.has(cell.toLowerCase()));
}

/** "source=en,target=ja" from a header's names, else the first two columns. */
export function guessColumns(cells: string[], header: boolean, language: Language): string {
  if (!header) return "source=0,target=1";
  const find = (names: string[], fallback: number) =>
    cells.find((cell) => names.includes(cell.toLowerCase())) ?? cells[fallback] ?? String(fallback);
  return `source=${find(sourceNames, 0)},target=${find(targetNames(language), 1)}`;
}

/** `source=X,target=Y`, each a 0-based index or a header name. */
export function parseParallelColumns(text: string): { source: string | number; target: string | number } {
  const columns: Record<string, string | number> = {};
  for (const part of text.split(",")) {
    const match = /^\s*(source|target)\s*=\s*(.+?)\s*$/.exec(part);
    if (match === null) throw new BabelbedError(`expected source=COLUMN,target=COLUMN, got "${text}"`);
    columns[match[1]!] = /^\d+$/.test(match[2]!) ? Number(match[2]) : match[2]!;
  }
  if (columns.source === undefined || columns.target === undefined)
    throw new BabelbedError(`give both source= and target=, got "${text}"`);
  return { source: columns.source, target: columns.target };
}

export interface Inspection {
  pairs: number;
  /** The first pairs, as the recipe will read them. */
  preview: ParallelPair[];
  /** Whether the target side looks word-segmented with spaces (KyTea/MeCab) in CJK text. */
  spacedCjk: boolean;
  /** Rows skipped as bad (with onBadRows: skip). */
  badRows: number;
}

/** Read every pair once, as a run would (bad rows fail with FILE:LINE, or are counted with onBadRows: skip), keeping the first few. */
export async function inspectParallel(spec: ParallelSpec): Promise<Inspection> {
  const reader = openDataSource({ ...spec, joinSpacedCjk: false } as DataSourceInput & { kind: "parallel" });
  const sample: ParallelPair[] = [];
  for await (const pair of reader) if (sample.length < 20) sample.push(pair);
  if (reader.report.rows < 2)
    throw new BabelbedError(
      `${reader.report.files.join(" + ")}: ${reader.report.rows} pairs; distillation needs at least two`,
    );
  const spaced = sample.filter((pair) => joinCjk(pair.target) !== pair.target).length;
  const join = (text: string) => (spec.joinSpacedCjk ? joinCjk(text) : text);
  const preview = sample.slice(0, 3).map((pair) => ({ ...pair, source: join(pair.source), target: join(pair.target) }));
  return { pairs: reader.report.rows, preview, spacedCjk: spaced * 2 > sample.length, badRows: reader.report.badRows };
}

export function describeInspection(inspection: Inspection, language: Language): string {
  const clip = (text: string) => (text.length > 56 ? `${text.slice(0, 55)}…` : text);
  const lines = inspection.preview.map(
    (pair, index) => `  ${index + 1}. ${clip(pair.source)}  →  ${clip(pair.target)}`,
  );
  const skipped =
    inspection.badRows > 0 ? ` (${inspection.badRows} bad row${inspection.badRows === 1 ? "" : "s"} skipped)` : "";
  return [
    `${inspection.pairs} pairs (English → ${language.name})${skipped}; the first ${inspection.preview.length}:`,
    ...lines,
  ].join("\n");
}

/**
 * Hold out `heldOut` of the `total` pairs (counted by `inspectParallel`), chosen by the seed,
 * and write both parts as JSON lines (any text survives, tabs and line breaks included). One
 * streaming pass: the corpus is never held whole, and each file appears atomically. Text is
 * copied as it is; the recipe keeps the source's joinSpacedCjk.
 */
export async function writeHeldOutSplit(
  spec: ParallelSpec,
  total: number,
  heldOut: number,
  seed: number,
  files: { train: string; test: string },
): Promise<{ train: number; test: number }> {
  const chosen = heldOutIndices(total, { heldOut, seed });
  const reader = openDataSource({ ...spec, joinSpacedCjk: false } as DataSourceInput & { kind: "parallel" });
  const [train, test] = [await openAtomicWriter(files.train), await openAtomicWriter(files.test)];
  const counts = { train: 0, test: 0 };
  try {
    let index = 0;
    for await (const pair of reader) {
      const part = chosen.has(index++) ? "test" : "train";
      await (part === "test" ? test : train).write(`${JSON.stringify({ source: pair.source, target: pair.target })}\n`);
      counts[part] += 1;
    }
    if (index !== total)
      throw new BabelbedError(
        `${reader.report.files.join(" + ")}: ${index} pairs now, ${total} when it was checked; did it change?`,
      );
  } catch (error) {
    await Promise.all([train.abort(), test.abort()]);
    throw error;
  }
  await train.commit();
  await test.commit();
  return counts;
}
