import { BabelbedError } from "../util/errors.js";
import { readDelimited } from "./delimited.js";
import { decodeLine, readLines, withoutCarriageReturn, type RecordEvent } from "./lines.js";
import type { ResolvedSource } from "./source.js";

/** Read one file of a source in its declared format, yielding one event per record. */
export function readRecords(source: ResolvedSource, file: string): AsyncGenerator<RecordEvent> {
  switch (source.format) {
    case "csv":
    case "tsv":
      return readDelimited(source, file);
    case "jsonl":
      return readJsonLines(source, file);
    case "lines":
      return readTextLines(source, file);
  }
}

async function* readTextLines(source: ResolvedSource, file: string): AsyncGenerator<RecordEvent> {
  const [field] = source.columns.keys();
  if (field === undefined) throw new BabelbedError(`${file}: format lines needs exactly one field`);
  for await (const { line, bytes } of readLines(file)) {
    const decoded = decodeLine(bytes);
    if (!decoded.ok) {
      yield { type: "bad", file, line, field, reason: decoded.reason };
      continue;
    }
    const text = withoutCarriageReturn(decoded.text);
    if (text.length === 0) yield { type: "blank", file, line };
    else yield { type: "record", file, line, values: new Map([[field, text]]) };
  }
}

async function* readJsonLines(source: ResolvedSource, file: string): AsyncGenerator<RecordEvent> {
  for await (const { line, bytes } of readLines(file)) {
    const decoded = decodeLine(bytes);
    if (!decoded.ok) {
      yield { type: "bad", file, line, reason: decoded.reason };
      continue;
    }
    const text = withoutCarriageReturn(decoded.text);
    if (text.trim().length === 0) {
      yield { type: "blank", file, line };
      continue;
    }
    let object: unknown;
    try {
      object = JSON.parse(text);
    } catch (error) {
      yield { type: "bad", file, line, reason: `invalid JSON (${(error as Error).message})` };
      continue;
    }
    if (typeof object !== "object" || object === null || Array.isArray(object)) {
      yield { type: "bad", file, line, reason: `expected a JSON object, got ${describeJson(object)}` };
      continue;
    }
    const record = object as Record<string, unknown>;
    const values = new Map<string, unknown>();
    let missing: { field: string; key: string } | undefined;
    for (const [field, key] of source.columns) {
      const value = Object.hasOwn(record, key) ? record[String(key)] : undefined;
      if (value === undefined && missing === undefined) missing = { field, key: String(key) };
      values.set(field, value);
    }
    if (missing !== undefined) {
      const keys = Object.keys(record).join(", ");
      yield {
        type: "bad",
        file,
        line,
        field: missing.field,
        reason: `missing: no key "${missing.key}" (keys: ${keys})`,
      };
    } else yield { type: "record", file, line, values };
  }
}

export function describeJson(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string")
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}
