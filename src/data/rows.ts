import { BabelbedError } from "../util/errors.js";
import { readAligned } from "./parallel.js";
import { describeJson, readRecords } from "./records.js";
import type { RecordEvent } from "./lines.js";
import {
  nliLabels,
  parseDataSource,
  resolveSource,
  type DataSourceInput,
  type NliLabel,
  type ResolvedSource,
  type RowKind,
} from "./source.js";

/** Ends every bad-row error; the wizard recognises a bad row by it and offers to skip such rows. */
export const badRowHint =
  " (onBadRows: skip in a recipe, --skip-bad-rows for babelbed evaluate, skips and reports such rows)";

/** Where a row came from, so that any later complaint about it can point at the file. */
export interface RowOrigin {
  file: string;
  /** 1-based line on which the row starts. */
  line: number;
}

/** A pair with a graded similarity (STS). The score is as in the file; normalize it with `scoreRange`. */
export interface ScoredPair extends RowOrigin {
  sentence1: string;
  sentence2: string;
  score: number;
}

/** A premise and hypothesis with an NLI label (SNLI, MultiNLI). */
export interface LabelledPair extends RowOrigin {
  premise: string;
  hypothesis: string;
  label: NliLabel;
}

export interface Triplet extends RowOrigin {
  anchor: string;
  positive: string;
  negative: string;
}

/** A sentence and its translation. For two aligned files, `file` is the source file. */
export interface ParallelPair extends RowOrigin {
  source: string;
  target: string;
}

export interface Sentence extends RowOrigin {
  text: string;
}

export interface RowOfKind {
  "scored-pairs": ScoredPair;
  "labelled-pairs": LabelledPair;
  triplets: Triplet;
  parallel: ParallelPair;
  sentences: Sentence;
}

export interface BadRow {
  file: string;
  line: number;
  field?: string;
  reason: string;
}

/** What one pass over a source read and what it left out, so that nothing is dropped silently. */
export interface ReadReport {
  files: string[];
  rows: number;
  badRows: number;
  /** The first bad rows, up to `maxListedBadRows`; `onBadRow` sees every one. */
  listedBadRows: BadRow[];
  blankLines: number;
}

export interface OpenOptions {
  /** Directory that relative paths in the spec are resolved against (the recipe's). */
  baseDirectory?: string;
  /** Called for every skipped bad row, e.g. to log it. */
  onBadRow?: (bad: BadRow) => void;
  maxListedBadRows?: number;
}

/** A gold score mapped from its scale (`scoreRange`) onto [0, 1], as cosine-similarity losses expect. */
export function normalizeScore(score: number, range: readonly [number, number]): number {
  return (score - range[0]) / (range[1] - range[0]);
}

/** "FILE:LINE: field X: reason", the one form every bad row is reported in. */
export function formatBadRow(bad: BadRow): string {
  return `${bad.file}:${bad.line}: ${bad.field === undefined ? "" : `field ${bad.field}: `}${bad.reason}`;
}

export function describeReport(report: ReadReport): string {
  const parts = [`read ${report.rows} rows from ${report.files.join(" + ")}`];
  if (report.blankLines > 0) parts.push(`skipped ${report.blankLines} empty lines`);
  if (report.badRows > 0) {
    const listed = report.listedBadRows.map((bad) => `  ${formatBadRow(bad)}`);
    const more = report.badRows > listed.length ? [`  … and ${report.badRows - listed.length} more`] : [];
    parts.push([`skipped ${report.badRows} bad rows:`, ...listed, ...more].join("\n"));
  }
  return parts.join("; ");
}

/**
 * A data source that can be read any number of times (once per epoch), each pass
 * streaming the file(s) from the start. `report` describes the latest pass.
 */
export class DataReader<R extends RowOrigin> implements AsyncIterable<R> {
  private latest: ReadReport;

  constructor(
    readonly source: ResolvedSource,
    private readonly options: OpenOptions = {},
  ) {
    this.latest = emptyReport(source);
  }

  get report(): ReadReport {
    return this.latest;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<R> {
    const source = this.source;
    const report = emptyReport(source);
    this.latest = report;
    if (source.limit <= 0) return;
    const maxListed = this.options.maxListedBadRows ?? 1000;
    const events = source.files.length === 2 ? readAligned(source) : readRecords(source, source.files[0]!);
    for await (const event of events) {
      if (event.type === "blank") {
        if (source.blankLines === "fail") {
          throw new BabelbedError(
            `${event.file}:${event.line}: empty line (set blankLines: skip to ignore empty lines)`,
          );
        }
        report.blankLines += 1;
        continue;
      }
      const row: RowOrigin | BadRow =
        event.type === "record"
          ? toRow(source, event)
          : {
              file: event.file,
              line: event.line,
              ...(event.field === undefined ? {} : { field: event.field }),
              reason: event.reason,
            };
      if (isBadRow(row)) {
        if (source.onBadRows === "fail") {
          throw new BabelbedError(`${formatBadRow(row)}${badRowHint}`);
        }
        report.badRows += 1;
        if (report.listedBadRows.length < maxListed) report.listedBadRows.push(row);
        this.options.onBadRow?.(row);
        continue;
      }
      report.rows += 1;
      yield row as unknown as R;
      if (report.rows >= source.limit) return;
    }
  }

  /** Read every row into memory: for dev and test sets, not for training corpora. */
  async toArray(): Promise<R[]> {
    const rows: R[] = [];
    for await (const row of this) rows.push(row);
    return rows;
  }
}

/** Validate a source spec and open it for reading. */
export function openDataSource<K extends RowKind>(
  spec: DataSourceInput & { kind: K },
  options: OpenOptions = {},
): DataReader<RowOfKind[K]> {
  const source = resolveSource(parseDataSource(spec), options.baseDirectory);
  return new DataReader<RowOfKind[K]>(source, options);
}

function isBadRow(row: RowOrigin | BadRow): row is BadRow {
  return "reason" in row;
}

function emptyReport(source: ResolvedSource): ReadReport {
  return { files: source.files, rows: 0, badRows: 0, listedBadRows: [], blankLines: 0 };
}

type Checked<T> = { value: T } | { reason: string };

function toRow(source: ResolvedSource, event: Extract<RecordEvent, { type: "record" }>): RowOrigin | BadRow {
  const { file, line } = event;
  const row: Record<string, unknown> = { file, line };
  for (const [field, raw] of event.values) {
    const checked =
      field === "score"
        ? checkScore(raw, source.scoreRange)
        : field === "label"
          ? checkLabel(raw, source.labels)
          : checkText(raw, source.joinSpacedCjk);
    if ("reason" in checked) return { file, line, field, reason: checked.reason };
    row[field] = checked.value;
  }
  return row as unknown as RowOrigin;
}

function checkText(raw: unknown, joinSpacedCjk: boolean): Checked<string> {
  if (typeof raw !== "string") return { reason: `expected text, got ${describeJson(raw)}` };
  if (raw.trim().length === 0) return { reason: "empty" };
  return { value: joinSpacedCjk ? joinCjk(raw) : raw };
}

const spacedCjk =
  /(?<=[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\u3000-\u303f\uff00-\uffef]) +(?=[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\u3000-\u303f\uff00-\uffef])/gu;

/** "誰 が 一番 に 着 く か" → "誰が一番に着くか": spaces a word segmenter put between CJK characters. */
export function joinCjk(text: string): string {
  return text.replace(spacedCjk, "");
}

// Plain decimal notation only: Number() would also accept "", "0x1F" and "Infinity".
const decimal = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function checkScore(raw: unknown, range: readonly [number, number] | undefined): Checked<number> {
  let score: number;
  if (typeof raw === "number") score = raw;
  else if (typeof raw === "string" && decimal.test(raw.trim())) score = Number(raw.trim());
  else return { reason: `not a number: ${describeJson(raw)}` };
  if (!Number.isFinite(score)) return { reason: `not a finite number: ${score}` };
  if (range !== undefined && (score < range[0] || score > range[1])) {
    return { reason: `${score} is outside the score range [${range[0]}, ${range[1]}]` };
  }
  return { value: score };
}

function checkLabel(raw: unknown, labels: ReadonlyMap<string, NliLabel> | undefined): Checked<NliLabel> {
  if (typeof raw !== "string" && !(typeof raw === "number" && Number.isInteger(raw))) {
    return { reason: `expected a label name or integer, got ${describeJson(raw)}` };
  }
  const key = String(raw).trim().toLowerCase();
  const label = labels === undefined ? nliLabels.find((name) => name === key) : labels.get(key);
  if (label !== undefined) return { value: label };
  const expected = labels === undefined ? nliLabels.join(", ") : [...labels.keys()].join(", ");
  const hint =
    labels === undefined && /^\d+$/.test(key)
      ? "; numeric labels need a mapping, e.g. labels: {0: entailment, 1: neutral, 2: contradiction}"
      : "";
  return { reason: `unknown label ${JSON.stringify(String(raw))} (expected one of: ${expected})${hint}` };
}
