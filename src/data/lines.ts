import { createReadStream } from "node:fs";
import { BabelbedError } from "../util/errors.js";

/** One physical line of a file: its 1-based number and its bytes, without the `\n`. */
export interface RawLine {
  line: number;
  bytes: Uint8Array;
}

export interface ReadLinesOptions {
  /**
   * Longest line accepted, in bytes. A binary file or a wrong format would otherwise
   * make one "line" grow until memory runs out, which defeats reading in a stream.
   */
  maxLineBytes?: number;
  /** Bytes per read from disk. */
  chunkBytes?: number;
}

const newline = 0x0a;
const defaultMaxLineBytes = 64 * 1024 * 1024;

/**
 * Stream a file line by line without ever holding more than one chunk and one line.
 * Lines are split on the `\n` byte, which never occurs inside a multi-byte UTF-8
 * sequence, so splitting before decoding is safe and a decoding error can be pinned
 * to its line. A `\r` before the `\n` is kept; a final line without `\n` is still a
 * line, but a final `\n` does not start an empty one. A UTF-8 byte order mark at the
 * start of the file is dropped.
 */
export async function* readLines(file: string, options: ReadLinesOptions = {}): AsyncGenerator<RawLine> {
  const maxLineBytes = options.maxLineBytes ?? defaultMaxLineBytes;
  const stream = createReadStream(file, { highWaterMark: options.chunkBytes ?? 1024 * 1024 });
  let pieces: Buffer[] = [];
  let pieceBytes = 0;
  let line = 0;
  try {
    for await (const data of stream as AsyncIterable<Buffer>) {
      let start = 0;
      for (;;) {
        const end = data.indexOf(newline, start);
        if (end < 0) break;
        line += 1;
        let bytes: Uint8Array = data.subarray(start, end);
        if (pieceBytes > 0) {
          bytes = Buffer.concat([...pieces, bytes]);
          pieces = [];
          pieceBytes = 0;
        }
        if (bytes.length > maxLineBytes) throw tooLong(file, line, maxLineBytes);
        yield { line, bytes: line === 1 ? withoutByteOrderMark(bytes) : bytes };
        start = end + 1;
      }
      if (start < data.length) {
        // Copy the tail, so that a few leftover bytes do not keep the whole chunk alive.
        pieces.push(Buffer.from(data.subarray(start)));
        pieceBytes += data.length - start;
        if (pieceBytes > maxLineBytes) throw tooLong(file, line + 1, maxLineBytes);
      }
    }
  } catch (error) {
    if (error instanceof BabelbedError) throw error;
    throw new BabelbedError(`${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  } finally {
    stream.destroy();
  }
  if (pieceBytes > 0) {
    const bytes = Buffer.concat(pieces);
    yield { line: line + 1, bytes: line === 0 ? withoutByteOrderMark(bytes) : bytes };
  }
}

function withoutByteOrderMark(bytes: Uint8Array): Uint8Array {
  return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
}

function tooLong(file: string, line: number, limit: number): BabelbedError {
  return new BabelbedError(
    `${file}:${line}: line is longer than ${limit} bytes; is this a text file in the declared format?`,
  );
}

/**
 * Count lines the way `readLines` numbers them, without decoding anything, so that two
 * line-aligned files can be checked before a long run starts reading them.
 */
export async function countLines(file: string): Promise<number> {
  const stream = createReadStream(file, { highWaterMark: 1024 * 1024 });
  let count = 0;
  let last = newline;
  let empty = true;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (chunk.length === 0) continue;
      empty = false;
      let position = chunk.indexOf(newline);
      while (position >= 0) {
        count += 1;
        position = chunk.indexOf(newline, position + 1);
      }
      last = chunk[chunk.length - 1]!;
    }
  } catch (error) {
    throw new BabelbedError(`${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return empty || last === newline ? count : count + 1;
}

/** A line's text, or where its first invalid UTF-8 byte sits. */
export type DecodedLine = { ok: true; text: string } | { ok: false; offset: number; reason: string };

const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Decode one line as strict UTF-8. A lenient decoder would turn bad bytes into U+FFFD
 * and the model would quietly train on replacement characters.
 */
export function decodeLine(bytes: Uint8Array): DecodedLine {
  try {
    return { ok: true, text: strictDecoder.decode(bytes) };
  } catch {
    const offset = firstInvalidUtf8(bytes);
    const shown = Array.from(bytes.subarray(offset, offset + 4), (byte) => byte.toString(16).padStart(2, "0"));
    return { ok: false, offset, reason: `invalid UTF-8 at byte ${offset} of the line (bytes ${shown.join(" ")})` };
  }
}

/** Text with one trailing `\r` removed, for files with CRLF line endings. */
export function withoutCarriageReturn(text: string): string {
  return text.endsWith("\r") ? text.slice(0, -1) : text;
}

/**
 * Offset of the first byte that does not belong to a well-formed UTF-8 sequence
 * (Unicode 15, table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF).
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let index = 0;
  while (index < bytes.length) {
    const lead = bytes[index]!;
    if (lead < 0x80) {
      index += 1;
      continue;
    }
    let length: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) length = 2;
    else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      if (lead === 0xe0) low = 0xa0;
      if (lead === 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      if (lead === 0xf0) low = 0x90;
      if (lead === 0xf4) high = 0x8f;
    } else return index;
    if (index + length > bytes.length) return index;
    const second = bytes[index + 1]!;
    if (second < low || second > high) return index;
    for (let k = 2; k < length; k++) {
      const next = bytes[index + k]!;
      if (next < 0x80 || next > 0xbf) return index;
    }
    index += length;
  }
  return bytes.length;
}

/**
 * What a format reader makes of one line or record, before the row kind's own checks:
 * raw field values by field name, a bad record with its reason, or a blank line.
 */
export type RecordEvent =
  | { type: "record"; file: string; line: number; values: Map<string, unknown> }
  | { type: "bad"; file: string; line: number; field?: string; reason: string }
  | { type: "blank"; file: string; line: number };
