import * as path from "node:path";
import {
  describeReport,
  normalizeScore,
  openDataSource,
  type DataReader,
  type ParallelPair,
  type RowOfKind,
} from "../data/rows.js";
import type { DataSourceInput, RowKind } from "../data/source.js";
import { BabelbedError } from "../util/errors.js";

/** Read a whole (small) data source of the expected kind, logging what was skipped. */
export async function readRows<K extends RowKind>(
  spec: DataSourceInput,
  kind: K,
  where: string,
  baseDirectory: string,
  log: (line: string) => void,
): Promise<RowOfKind[K][]> {
  if (spec.kind !== kind) throw new BabelbedError(`${where}: expected data of kind ${kind}, got ${spec.kind}`);
  const reader = openDataSource(spec as Parameters<typeof openDataSource>[0], {
    baseDirectory,
  }) as unknown as DataReader<RowOfKind[K]>;
  const rows = await reader.toArray();
  if (reader.report.badRows > 0 || reader.report.blankLines > 0) log(`${where}: ${describeReport(reader.report)}`);
  // A score over no rows would be NaN, written as null: an empty file is an input error.
  if (rows.length === 0)
    throw new BabelbedError(`${sourceName(spec, baseDirectory)}: no rows of ${kind} data (${where})`);
  return rows;
}

/** The file (or the two files) a data source reads, as the user wrote them, resolved. */
function sourceName(spec: DataSourceInput, baseDirectory: string): string {
  const source = spec as { file?: string; files?: { source: string; target: string } };
  if (source.file !== undefined) return path.resolve(baseDirectory, source.file);
  if (source.files !== undefined)
    return `${path.resolve(baseDirectory, source.files.source)} + ${path.resolve(baseDirectory, source.files.target)}`;
  return "data";
}

export async function readScoredPairs(
  spec: DataSourceInput,
  where: string,
  baseDirectory: string,
  log: (line: string) => void,
) {
  const rows = await readRows(spec, "scored-pairs", where, baseDirectory, log);
  const range = (spec as { scoreRange: [number, number] }).scoreRange;
  return rows.map((row) => ({
    sentence1: row.sentence1,
    sentence2: row.sentence2,
    score: normalizeScore(row.score, range),
  }));
}

export async function readParallel(
  spec: DataSourceInput,
  where: string,
  baseDirectory: string,
  log: (line: string) => void,
): Promise<ParallelPair[]> {
  return readRows(spec, "parallel", where, baseDirectory, log);
}

/** Rows of `kind` as objectives and evaluators take them: scored pairs' scores mapped onto [0, 1] by the source's `scoreRange`. */
export async function readNormalizedRows<K extends RowKind>(
  spec: DataSourceInput,
  kind: K,
  where: string,
  baseDirectory: string,
  log: (line: string) => void,
) {
  const rows = await readRows(spec, kind, where, baseDirectory, log);
  if (kind !== "scored-pairs") return rows;
  const range = (spec as { scoreRange: [number, number] }).scoreRange;
  return (rows as RowOfKind["scored-pairs"][]).map((row) => ({
    ...row,
    score: normalizeScore(row.score, range),
  })) as RowOfKind[K][];
}
