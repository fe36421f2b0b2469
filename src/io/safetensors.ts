import { promises as fs } from "node:fs";
import { BabelbedError } from "../util/errors.js";
import { bfloat16ToFloat32, halfToFloat32 } from "./half.js";
import {
  headerLength,
  parseHeader,
  requireLittleEndian,
  type SafetensorsEntry,
  type SafetensorsHeader,
  type TensorData,
} from "./safetensors-format.js";

export type { SafetensorsEntry, SafetensorsHeader, TensorData, TensorDtype } from "./safetensors-format.js";
export { serializeSafetensors, writeSafetensors, type WritableTensor } from "./safetensors-writer.js";

export interface ReadOptions {
  /** Decode only tensors for which this returns true; the whole header is still validated. */
  select?: (name: string) => boolean;
}

export interface SafetensorsContents {
  tensors: Map<string, TensorData>;
  metadata: Record<string, string>;
}

/** Turns one tensor's raw bytes (an exclusively owned, aligned copy) into typed data. */
function decodeTensor(entry: SafetensorsEntry, raw: Uint8Array, source: string): TensorData {
  const { buffer, byteOffset, byteLength } = raw;
  switch (entry.dtype) {
    case "F32":
      return { dtype: "F32", shape: entry.shape, data: new Float32Array(buffer, byteOffset, byteLength / 4) };
    case "I32":
      return { dtype: "I32", shape: entry.shape, data: new Int32Array(buffer, byteOffset, byteLength / 4) };
    case "I64":
      return { dtype: "I64", shape: entry.shape, data: new BigInt64Array(buffer, byteOffset, byteLength / 8) };
    case "F16":
      return {
        dtype: "F16",
        shape: entry.shape,
        data: halfToFloat32(new Uint16Array(buffer, byteOffset, byteLength / 2)),
      };
    case "BF16":
      return {
        dtype: "BF16",
        shape: entry.shape,
        data: bfloat16ToFloat32(new Uint16Array(buffer, byteOffset, byteLength / 2)),
      };
    default:
      throw new BabelbedError(
        `${source}: tensor "${entry.name}": dtype ${entry.dtype} is not supported (babelbed reads F32, F16, BF16, I32, I64)`,
      );
  }
}

/** Parses a whole safetensors file held in memory; tensor data is copied out of `bytes`. */
export function parseSafetensors(bytes: Uint8Array, source: string, options: ReadOptions = {}): SafetensorsContents {
  requireLittleEndian(source);
  const length = headerLength(bytes, bytes.length, source);
  const header = parseHeader(bytes.subarray(8, 8 + length), bytes.length - 8 - length, source);
  const tensors = new Map<string, TensorData>();
  for (const entry of header.entries) {
    if (options.select && !options.select(entry.name)) continue;
    // slice() copies into a fresh buffer, so typed views are aligned and never alias the input.
    const raw = bytes.slice(header.dataStart + entry.begin, header.dataStart + entry.end);
    tensors.set(entry.name, decodeTensor(entry, raw, source));
  }
  return { tensors, metadata: header.metadata };
}

async function readExactly(handle: fs.FileHandle, target: Uint8Array, position: number, file: string): Promise<void> {
  let filled = 0;
  while (filled < target.length) {
    // One read() moves at most ~2 GiB, so large tensors take several calls.
    const { bytesRead } = await handle.read(
      target,
      filled,
      Math.min(target.length - filled, 1 << 30),
      position + filled,
    );
    if (bytesRead === 0) throw new BabelbedError(`${file}: unexpected end of file at byte offset ${position + filled}`);
    filled += bytesRead;
  }
}

async function openForReading(file: string): Promise<fs.FileHandle> {
  try {
    return await fs.open(file, "r");
  } catch (error) {
    throw new BabelbedError(`${file}: cannot open (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}

async function readHeaderFrom(handle: fs.FileHandle, file: string): Promise<SafetensorsHeader> {
  const { size } = await handle.stat();
  const prefix = new Uint8Array(8);
  if (size >= 8) await readExactly(handle, prefix, 0, file);
  const length = headerLength(prefix, size, file);
  const headerBytes = new Uint8Array(length);
  await readExactly(handle, headerBytes, 8, file);
  return parseHeader(headerBytes, size - 8 - length, file);
}

/** Reads and validates only the header: names, dtypes, shapes and offsets, no tensor data. */
export async function readSafetensorsHeader(file: string): Promise<SafetensorsHeader> {
  const handle = await openForReading(file);
  try {
    return await readHeaderFrom(handle, file);
  } finally {
    await handle.close();
  }
}

/**
 * Reads a safetensors file tensor by tensor straight into typed arrays, so files larger
 * than Node's 2 GiB readFile limit (XLM-R large, LaBSE) load without a whole-file copy.
 */
export async function readSafetensors(file: string, options: ReadOptions = {}): Promise<SafetensorsContents> {
  requireLittleEndian(file);
  const handle = await openForReading(file);
  try {
    const header = await readHeaderFrom(handle, file);
    const tensors = new Map<string, TensorData>();
    for (const entry of header.entries) {
      if (options.select && !options.select(entry.name)) continue;
      const raw = new Uint8Array(entry.end - entry.begin);
      await readExactly(handle, raw, header.dataStart + entry.begin, file);
      tensors.set(entry.name, decodeTensor(entry, raw, file));
    }
    return { tensors, metadata: header.metadata };
  } finally {
    await handle.close();
  }
}
