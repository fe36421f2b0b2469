import { endianness } from "node:os";
import { BabelbedError } from "../util/errors.js";

/**
 * The safetensors format: an 8-byte little-endian header length N, N bytes of JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {string: string}}`,
 * then the tensor bytes, with offsets relative to the start of that byte buffer.
 */

/** Element sizes of every dtype the format defines; decoding supports a subset. */
const dtypeBytes: Record<string, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
};

/** Real files hold well under this; a larger claim means a corrupt or hostile file. */
const maxHeaderBytes = 100_000_000;

export type TensorDtype = "F32" | "F16" | "BF16" | "I32" | "I64";

/** A decoded tensor: F16 and BF16 are widened to float32, `dtype` says what was stored. */
export interface TensorData {
  dtype: TensorDtype;
  shape: number[];
  data: Float32Array | Int32Array | BigInt64Array;
}

/** One header entry; `begin`/`end` are byte offsets into the data buffer. */
export interface SafetensorsEntry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** Entries in data-offset order. */
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
  /** File offset of the data buffer: 8 + header length. */
  dataStart: number;
}

export function requireLittleEndian(source: string): void {
  // Tensor bytes are little-endian and are viewed directly as typed arrays.
  if (endianness() !== "LE") throw new BabelbedError(`${source}: safetensors I/O needs a little-endian host`);
}

export function headerLength(prefix: Uint8Array, totalBytes: number, source: string): number {
  if (totalBytes < 8) {
    throw new BabelbedError(
      `${source}: file is ${totalBytes} bytes, too short for the 8-byte safetensors header length`,
    );
  }
  const length = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(maxHeaderBytes)) {
    throw new BabelbedError(
      `${source}: header length ${length} at byte offset 0 exceeds ${maxHeaderBytes} bytes; not a safetensors file?`,
    );
  }
  if (Number(length) + 8 > totalBytes) {
    throw new BabelbedError(
      `${source}: header length ${length} at byte offset 0 runs past the end of the ${totalBytes}-byte file (truncated?)`,
    );
  }
  return Number(length);
}

export function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** Parses and checks the JSON header against the size of the data buffer that follows it. */
export function parseHeader(headerBytes: Uint8Array, dataBytes: number, source: string): SafetensorsHeader {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(headerBytes);
  } catch {
    throw new BabelbedError(`${source}: header (bytes 8..${8 + headerBytes.length}) is not valid UTF-8`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new BabelbedError(
      `${source}: header (bytes 8..${8 + headerBytes.length}) is not valid JSON (${(error as Error).message})`,
    );
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new BabelbedError(`${source}: header must be a JSON object`);
  }
  const metadataPairs: [string, string][] = [];
  const entries: SafetensorsEntry[] = [];
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        throw new BabelbedError(`${source}: "__metadata__" must be an object of strings`);
      }
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        if (typeof item !== "string")
          throw new BabelbedError(`${source}: "__metadata__" field "${key}" must be a string`);
        metadataPairs.push([key, item]);
      }
      continue;
    }
    entries.push(parseEntry(name, value, source));
  }
  entries.sort((left, right) => left.begin - right.begin || left.end - right.end);
  let expected = 0;
  for (const entry of entries) {
    if (entry.begin !== expected) {
      const problem =
        entry.begin < expected ? "overlaps the previous tensor" : "leaves a gap after the previous tensor";
      throw new BabelbedError(
        `${source}: tensor "${entry.name}": data_offsets [${entry.begin}, ${entry.end}] ${problem} (expected begin ${expected})`,
      );
    }
    if (entry.end > dataBytes) {
      throw new BabelbedError(
        `${source}: tensor "${entry.name}": data_offsets [${entry.begin}, ${entry.end}] run past the ${dataBytes}-byte data buffer (truncated file?)`,
      );
    }
    expected = entry.end;
  }
  if (expected !== dataBytes) {
    throw new BabelbedError(
      `${source}: tensors cover ${expected} bytes but the data buffer holds ${dataBytes} (trailing bytes or truncated file)`,
    );
  }
  // fromEntries defines own properties, so even a "__proto__" key stays plain data.
  return { entries, metadata: Object.fromEntries(metadataPairs), dataStart: 8 + headerBytes.length };
}

function parseEntry(name: string, value: unknown, source: string): SafetensorsEntry {
  const where = `${source}: tensor "${name}"`;
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new BabelbedError(`${where}: entry must be an object`);
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (typeof dtype !== "string" || !Object.hasOwn(dtypeBytes, dtype)) {
    throw new BabelbedError(`${where}: unknown dtype ${JSON.stringify(dtype)}`);
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw new BabelbedError(
      `${where}: "shape" must be an array of non-negative integers, got ${JSON.stringify(shape)}`,
    );
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !isCount(offsets[0]) ||
    !isCount(offsets[1]) ||
    offsets[1] < offsets[0]
  ) {
    throw new BabelbedError(
      `${where}: "data_offsets" must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(offsets)}`,
    );
  }
  const elements = shape.reduce((product: number, size: number) => product * size, 1);
  const bytes = elements * dtypeBytes[dtype]!;
  if (!Number.isSafeInteger(bytes) || offsets[1] - offsets[0] !== bytes) {
    throw new BabelbedError(
      `${where}: shape ${JSON.stringify(shape)} of ${dtype} needs ${bytes} bytes but data_offsets [${offsets[0]}, ${offsets[1]}] hold ${offsets[1] - offsets[0]}`,
    );
  }
  return { name, dtype, shape: shape as number[], begin: offsets[0], end: offsets[1] };
}
