import { BabelbedError } from "../util/errors.js";
import { exists, readJsonFile } from "../util/files.js";

/** Small typed accessors for config files, so every bad field is reported by file and key. */

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

export async function readJsonObject(file: string): Promise<JsonObject> {
  const json = await readJsonFile(file);
  if (!isObject(json)) throw new BabelbedError(`${file}: expected a JSON object`);
  return json;
}

/** The object in `file`, or undefined when the file does not exist. */
export async function readOptionalJsonObject(file: string): Promise<JsonObject | undefined> {
  return (await exists(file)) ? readJsonObject(file) : undefined;
}

export function positiveInteger(json: JsonObject, key: string, file: string): number {
  const value = json[key];
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
    throw new BabelbedError(`${file}: field "${key}" must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function optionalPositiveInteger(json: JsonObject, key: string, file: string): number | undefined {
  return json[key] === undefined || json[key] === null ? undefined : positiveInteger(json, key, file);
}

export function booleanField(json: JsonObject, key: string, file: string, fallback: boolean): boolean {
  const value = json[key];
  if (value === undefined) return fallback;
  if (typeof value !== "boolean")
    throw new BabelbedError(`${file}: field "${key}" must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

export function stringField(json: JsonObject, key: string, file: string): string | undefined {
  const value = json[key];
  if (value === undefined) return undefined;
  if (typeof value !== "string")
    throw new BabelbedError(`${file}: field "${key}" must be a string, got ${JSON.stringify(value)}`);
  return value;
}
