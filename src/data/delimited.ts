import { parse, type CsvParserStream } from "fast-csv";
import { BabelbedError } from "../util/errors.js";
import { decodeLine, readLines, type RawLine, type RecordEvent } from "./lines.js";
import type { ResolvedSource } from "./source.js";

type Parser = CsvParserStream<string[], string[]>;

const lineFeed = Buffer.from("\n");
const maxBatchBytes = 64 * 1024;
/** No sentence record spans this many lines; an open quote that does is a bare quote. */
const maxRecordLines = 100;

/**
 * Read a csv or tsv file with fast-csv, keeping the line each record starts on.
 *
 * Lines are split and UTF-8-checked here, then written to the parser in batches of
 * about 64 KiB. Each row the parser returns consumes one line plus one for every line
 * break inside its quoted fields, which gives its starting line. When fast-csv rejects
 * a batch, the lines since the last complete record are replayed one at a time into
 * a fresh parser, so that the bad record is named by line and (with onBadRows: skip)
 * reading goes on with the next line.
 */
export async function* readDelimited(source: ResolvedSource, file: string): AsyncGenerator<RecordEvent> {
  const delimiter = source.format === "tsv" ? "\t" : ",";
  const produced: string[][] = [];
  const open = (): Parser => {
    const parser = parse<string[], string[]>({ headers: false, delimiter, quote: source.quote, ignoreEmpty: false });
    parser.on("data", (row: string[]) => produced.push(row));
    // Failures arrive through the write and end callbacks; without a listener they would crash the process.
    parser.on("error", () => undefined);
    return parser;
  };
  let parser = open();
  let indices: Map<string, number> | undefined = source.header ? undefined : numericColumns(source, file);
  // Lines written to the parser that no returned row has consumed yet: the open record.
  let pending: RawLine[] = [];
  let batch: RawLine[] = [];
  let batchBytes = 0;
  let nextLine = 1;

  // `alone`: the line just written on its own, holding a bare \r, which fast-csv also
  // takes as a row break; its rows are all placed on that line.
  function* deliver(alone?: number): Generator<RecordEvent> {
    const rows = produced.splice(0);
    if (alone !== undefined && rows.length > 0) pending = [];
    let consumed = 0;
    for (const row of rows) {
      const feeds = countLineFeeds(row);
      const start = alone !== undefined ? alone - feeds : (pending[consumed]?.line ?? nextLine);
      consumed = Math.min(pending.length, consumed + 1 + feeds);
      if (row.length === 0 || (row.length === 1 && row[0] === "")) {
        if (indices === undefined) throw new BabelbedError(`${file}:${start}: the header line is empty`);
        yield { type: "blank", file, line: start };
      } else if (indices === undefined) {
        indices = headerColumns(source, file, start, row);
      } else {
        yield toRecord(file, start, row, indices);
      }
    }
    pending = pending.slice(consumed);
  }

  function* rejected(failure: Error, end: number): Generator<RecordEvent> {
    const start = pending[0]?.line ?? end;
    if (indices === undefined) throw new BabelbedError(`${file}:${start}: header: ${failure.message}`);
    yield { type: "bad", file, line: start, reason: malformed(source, failure, start, end) };
    pending = [];
    parser = open();
  }

  async function* feed(lines: RawLine[]): AsyncGenerator<RecordEvent> {
    if (lines.length === 0) return;
    pending = pending.concat(lines);
    const failure = await write(parser, lines);
    nextLine = lines[lines.length - 1]!.line + 1;
    if (failure === undefined) {
      yield* deliver(lines.length === 1 && hasBareCarriageReturn(lines[0]!.bytes) ? lines[0]!.line : undefined);
      if (pending.length > maxRecordLines) {
        // Most likely a bare quote opened a field that never closes; drop its first line and read on.
        const rest = pending.slice(1);
        yield* rejected(new Error(`a quoted field is still open after ${pending.length} lines`), rest.at(-1)!.line);
        for (const line of rest) yield* feed([line]);
      }
      return;
    }
    produced.length = 0;
    if (lines.length === 1) {
      yield* rejected(failure, lines[0]!.line);
      return;
    }
    // Somewhere in the batch: replay it line by line to find the record and keep the rows before it.
    const replay = pending;
    pending = [];
    parser = open();
    for (const line of replay) yield* feed([line]);
  }

  async function* flush(): AsyncGenerator<RecordEvent> {
    const lines = batch;
    batch = [];
    batchBytes = 0;
    yield* feed(lines);
  }

  for await (const raw of readLines(file)) {
    const decoded = decodeLine(raw.bytes);
    if (!decoded.ok) {
      yield* flush();
      if (indices === undefined) throw new BabelbedError(`${file}:${raw.line}: header: ${decoded.reason}`);
      const column = columnAt(raw.bytes.subarray(0, decoded.offset), delimiter, source.quote);
      const field = [...indices].find(([, index]) => index === column)?.[0];
      const reason = field === undefined ? `column ${column}: ${decoded.reason}` : decoded.reason;
      yield { type: "bad", file, line: raw.line, ...(field === undefined ? {} : { field }), reason };
      nextLine = raw.line + 1;
      continue;
    }
    if (hasBareCarriageReturn(raw.bytes)) {
      yield* flush();
      yield* feed([raw]);
      continue;
    }
    batch.push(raw);
    batchBytes += raw.bytes.length + 1;
    if (batchBytes >= maxBatchBytes || (indices === undefined && source.header)) yield* flush();
  }
  yield* flush();
  const failure = await finish(parser);
  if (failure !== undefined) yield* rejected(failure, nextLine - 1);
  else yield* deliver();
  if (indices === undefined) throw new BabelbedError(`${file}: empty file, expected a header line`);
}

function malformed(source: ResolvedSource, failure: Error, start: number, end: number): string {
  const span = end > start ? ` (the record runs from line ${start} to ${end})` : "";
  const hint =
    source.quote === null
      ? ""
      : `; if this file has bare ${source.quote} characters that are not quotes, set quote: none`;
  return `malformed ${source.format}${span}: ${failure.message}${hint}`;
}

/**
 * Write lines as one chunk. fast-csv finishes a chunk only after a `setImmediate`, by
 * which time it has pushed every row of the chunk, so when this resolves all of them
 * are in `produced` (fast-csv 5.0.8; `finish` waits for "end" to be sure at the close).
 */
function write(parser: Parser, lines: RawLine[]): Promise<Error | undefined> {
  const chunk = Buffer.concat(lines.flatMap((line) => [line.bytes, lineFeed]));
  return new Promise((resolve) => {
    parser.write(chunk, (error?: Error | null) => resolve(error ?? undefined));
  });
}

/** End the parser and wait until every row it still holds has been delivered. */
function finish(parser: Parser): Promise<Error | undefined> {
  return new Promise((resolve) => {
    parser.once("error", (error: Error) => resolve(error));
    parser.once("end", () => resolve(undefined));
    parser.end();
  });
}

function numericColumns(source: ResolvedSource, file: string): Map<string, number> {
  const indices = new Map<string, number>();
  for (const [field, column] of source.columns) {
    if (typeof column !== "number") {
      throw new BabelbedError(`${file}: field ${field}: column "${column}" is a name but the file has no header`);
    }
    indices.set(field, column);
  }
  return indices;
}

function headerColumns(source: ResolvedSource, file: string, line: number, header: string[]): Map<string, number> {
  const indices = new Map<string, number>();
  for (const [field, column] of source.columns) {
    if (typeof column === "number") {
      indices.set(field, column);
      continue;
    }
    const found = header.flatMap((name, index) => (name.trim() === column ? [index] : []));
    if (found.length !== 1) {
      const problem = found.length === 0 ? `has no column "${column}"` : `names "${column}" ${found.length} times`;
      throw new BabelbedError(`${file}:${line}: field ${field}: the header ${problem} (columns: ${shortList(header)})`);
    }
    indices.set(field, found[0]!);
  }
  return indices;
}

/** The header's names for a message: a binary file's "header" can be 100 KB of one column. */
function shortList(names: string[]): string {
  const shown = names.slice(0, 20).map((name) => (name.length > 40 ? `${name.slice(0, 40)}…` : name));
  return shown.join(", ") + (names.length > 20 ? `, … (${names.length} in all)` : "");
}

function toRecord(file: string, line: number, row: string[], indices: Map<string, number>): RecordEvent {
  const values = new Map<string, unknown>();
  for (const [field, index] of indices) {
    if (index >= row.length) {
      const reason = `missing: the row has ${row.length} column${row.length === 1 ? "" : "s"}, this field reads column ${index} (0-based)`;
      return { type: "bad", file, line, field, reason };
    }
    values.set(field, row[index]);
  }
  return { type: "record", file, line, values };
}

function hasBareCarriageReturn(bytes: Uint8Array): boolean {
  const position = bytes.indexOf(0x0d);
  return position >= 0 && position < bytes.length - 1;
}

function countLineFeeds(row: string[]): number {
  let count = 0;
  for (const value of row) {
    for (let position = value.indexOf("\n"); position >= 0; position = value.indexOf("\n", position + 1)) count += 1;
  }
  return count;
}

/** The 0-based column that a line's valid prefix ends in, to say which field holds a bad byte. */
function columnAt(prefix: Uint8Array, delimiter: string, quote: string | null): number {
  const text = new TextDecoder("utf-8").decode(prefix);
  let column = 0;
  let quoted = false;
  for (const character of text) {
    if (quote !== null && character === quote) quoted = !quoted;
    else if (character === delimiter && !quoted) column += 1;
  }
  return column;
}
