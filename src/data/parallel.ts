import { BabelbedError } from "../util/errors.js";
import { countLines, decodeLine, readLines, withoutCarriageReturn, type RawLine } from "./lines.js";
import { readRecords } from "./records.js";
import type { RecordEvent } from "./lines.js";
import type { ResolvedSource } from "./source.js";

/**
 * Read the two files of a parallel source as pairs: text lines, or csv/tsv/jsonl files
 * whose row i is the translation of row i.
 */
export function readAligned(source: ResolvedSource): AsyncGenerator<RecordEvent> {
  return source.format === "lines" ? readAlignedLines(source) : readAlignedRecords(source);
}

/**
 * Read two line-aligned text files as pairs: line i of the source file is the
 * translation of line i of the target file, as in LASER's Tatoeba release
 * (`tatoeba.jpn-eng.jpn` + `tatoeba.jpn-eng.eng`) or Moses-style `train.en` + `train.ja`.
 *
 * The line counts are compared before the first pair is produced: one missing line
 * shifts every later pair, and a model trained on shifted pairs learns nothing while
 * looking perfectly healthy.
 */
export async function* readAlignedLines(source: ResolvedSource): AsyncGenerator<RecordEvent> {
  const [sourceFile, targetFile] = source.files;
  if (sourceFile === undefined || targetFile === undefined || source.files.length !== 2) {
    throw new BabelbedError(`aligned files: expected exactly two files, got ${source.files.length}`);
  }
  await checkAligned(sourceFile, targetFile);
  const sources = readLines(sourceFile);
  const targets = readLines(targetFile);
  try {
    for (;;) {
      const [left, right] = await Promise.all([sources.next(), targets.next()]);
      if (left.done || right.done) {
        // The files changed since they were counted, or one ends without a final newline.
        if (left.done !== right.done)
          throw misaligned(sourceFile, targetFile, await countLines(sourceFile), await countLines(targetFile));
        return;
      }
      yield pair(sourceFile, left.value, targetFile, right.value);
    }
  } finally {
    await Promise.all([sources.return(undefined), targets.return(undefined)]);
  }
}

/** Throw unless two files have the same number of lines. */
export async function checkAligned(sourceFile: string, targetFile: string): Promise<number> {
  const [sourceLines, targetLines] = await Promise.all([countLines(sourceFile), countLines(targetFile)]);
  if (sourceLines !== targetLines) throw misaligned(sourceFile, targetFile, sourceLines, targetLines);
  return sourceLines;
}

function misaligned(sourceFile: string, targetFile: string, sourceLines: number, targetLines: number): BabelbedError {
  return new BabelbedError(
    `line-aligned files differ in length: ${sourceFile} has ${sourceLines} lines but ${targetFile} has ${targetLines}; ` +
      "line i of one must be the translation of line i of the other",
  );
}

function pair(sourceFile: string, left: RawLine, targetFile: string, right: RawLine): RecordEvent {
  const line = left.line;
  const sourceText = decodeLine(left.bytes);
  if (!sourceText.ok) return { type: "bad", file: sourceFile, line, field: "source", reason: sourceText.reason };
  const targetText = decodeLine(right.bytes);
  if (!targetText.ok) return { type: "bad", file: targetFile, line, field: "target", reason: targetText.reason };
  const sourceValue = withoutCarriageReturn(sourceText.text);
  const targetValue = withoutCarriageReturn(targetText.text);
  if (sourceValue.length === 0 && targetValue.length === 0) return { type: "blank", file: sourceFile, line };
  // One empty side is a bad pair, not a blank line: name the file where it is empty.
  if (sourceValue.trim().length === 0) return { type: "bad", file: sourceFile, line, field: "source", reason: "empty" };
  if (targetValue.trim().length === 0) return { type: "bad", file: targetFile, line, field: "target", reason: "empty" };
  return {
    type: "record",
    file: sourceFile,
    line,
    values: new Map([
      ["source", sourceValue],
      ["target", targetValue],
    ]),
  };
}

/**
 * Two csv/tsv/jsonl files whose rows correspond, as in stsb-multi-mt (`stsb-en-train.csv`
 * and `stsb-de-train.csv`): the source comes from the `source` column of the first file
 * and the target from the `target` column of the second. Rows are counted in both files
 * before the first pair, for the same reason as lines are above; a quoted field may span
 * lines, so rows, not lines, are what must agree.
 */
export async function* readAlignedRecords(source: ResolvedSource): AsyncGenerator<RecordEvent> {
  const [sourceFile, targetFile] = source.files;
  if (sourceFile === undefined || targetFile === undefined || source.files.length !== 2) {
    throw new BabelbedError(`aligned files: expected exactly two files, got ${source.files.length}`);
  }
  const sides = (["source", "target"] as const).map((field, index) => ({
    ...source,
    files: [source.files[index]!],
    columns: new Map([[field, source.columns.get(field)!]]),
  }));
  const [sourceRows, targetRows] = await Promise.all(sides.map((side) => countRecords(side)));
  if (sourceRows !== targetRows) {
    throw new BabelbedError(
      `row-aligned files differ in length: ${sourceFile} has ${sourceRows} rows but ${targetFile} has ${targetRows}; ` +
        "row i of one must be the translation of row i of the other",
    );
  }
  const sources = readRecords(sides[0]!, sourceFile);
  const targets = readRecords(sides[1]!, targetFile);
  try {
    for (;;) {
      const [left, right] = await Promise.all([sources.next(), targets.next()]);
      if (left.done || right.done) {
        if (left.done !== right.done)
          throw new BabelbedError(`${left.done ? sourceFile : targetFile}: ended before the file it is aligned with`);
        return;
      }
      yield joinRecords(left.value, right.value);
    }
  } finally {
    await Promise.all([sources.return(undefined), targets.return(undefined)]);
  }
}

/** Rows of one file, each record, bad record and blank line counting once, as the pairing reads them. */
async function countRecords(side: ResolvedSource): Promise<number> {
  let rows = 0;
  for await (const _ of readRecords(side, side.files[0]!)) rows += 1;
  return rows;
}

function joinRecords(left: RecordEvent, right: RecordEvent): RecordEvent {
  if (left.type === "bad") return left;
  if (right.type === "bad") return right;
  if (left.type === "blank" && right.type === "blank") return left;
  // A blank line in one file only is a missing side, named where it is missing.
  if (left.type === "blank")
    return {
      type: "bad",
      file: left.file,
      line: left.line,
      field: "source",
      reason: "empty line; the other file has a row here",
    };
  if (right.type === "blank")
    return {
      type: "bad",
      file: right.file,
      line: right.line,
      field: "target",
      reason: "empty line; the other file has a row here",
    };
  return {
    type: "record",
    file: left.file,
    line: left.line,
    values: new Map([
      ["source", left.values.get("source")],
      ["target", right.values.get("target")],
    ]),
  };
}
