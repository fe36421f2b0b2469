import { promises as fs } from "node:fs";
import * as path from "node:path";
import { BabelbedError } from "../util/errors.js";
import { temporarySibling, writeError } from "../util/files.js";
import { isCount, requireLittleEndian } from "./safetensors-format.js";

type WritableDtype = "F32" | "I32" | "I64";

export interface WritableTensor {
  shape: number[];
  data: Float32Array | Int32Array | BigInt64Array;
}

/**
 * The official writer lays tensors out by descending dtype (its enum order, which is
 * increasing alignment), then by name; reproducing that order makes our files
 * byte-identical to `safetensors.torch.save_file` for the same tensors and metadata.
 */
const writeRank: Record<WritableDtype, number> = { I64: 3, F32: 2, I32: 1 };

function dtypeOf(data: WritableTensor["data"]): WritableDtype {
  if (data instanceof Float32Array) return "F32";
  if (data instanceof Int32Array) return "I32";
  return "I64";
}

function compareUtf8(left: string, right: string): number {
  // The reference writer compares Rust strings, i.e. UTF-8 bytes; JS `<` compares UTF-16 units.
  return Buffer.compare(Buffer.from(left, "utf8"), Buffer.from(right, "utf8"));
}

/** Header bytes (length prefix + padded JSON) and the tensors in file order. */
function prepare(
  tensors: Map<string, WritableTensor>,
  metadata: Record<string, string> | undefined,
  source: string,
): { prefix: Uint8Array; ordered: WritableTensor[] } {
  const named = [...tensors.entries()].map(([name, tensor]) => {
    if (name === "__metadata__") throw new BabelbedError(`${source}: "__metadata__" cannot be a tensor name`);
    const elements = tensor.shape.reduce((product, size) => {
      if (!isCount(size))
        throw new BabelbedError(
          `${source}: tensor "${name}": shape ${JSON.stringify(tensor.shape)} must hold non-negative integers`,
        );
      return product * size;
    }, 1);
    if (elements !== tensor.data.length) {
      throw new BabelbedError(
        `${source}: tensor "${name}": shape ${JSON.stringify(tensor.shape)} has ${elements} elements but data has ${tensor.data.length}`,
      );
    }
    return { name, tensor, dtype: dtypeOf(tensor.data) };
  });
  named.sort((left, right) => writeRank[right.dtype] - writeRank[left.dtype] || compareUtf8(left.name, right.name));
  // A null prototype keeps a tensor called "__proto__" an ordinary key.
  const header = Object.create(null) as Record<string, unknown>;
  if (metadata !== undefined) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== "string") throw new BabelbedError(`${source}: metadata field "${key}" must be a string`);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const { name, tensor, dtype } of named) {
    const end = offset + tensor.data.byteLength;
    header[name] = { dtype, shape: tensor.shape, data_offsets: [offset, end] };
    offset = end;
  }
  const json = Buffer.from(JSON.stringify(header), "utf8");
  // Pad with spaces so the data buffer starts 8-byte aligned, as the reference writer does.
  const padded = Math.ceil(json.length / 8) * 8;
  const prefix = new Uint8Array(8 + padded).fill(0x20);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(padded), true);
  prefix.set(json, 8);
  return { prefix, ordered: named.map((item) => item.tensor) };
}

function bytesOf(data: WritableTensor["data"]): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Serializes tensors (Float32Array → F32, Int32Array → I32, BigInt64Array → I64) to one buffer. */
export function serializeSafetensors(
  tensors: Map<string, WritableTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  requireLittleEndian("safetensors");
  const { prefix, ordered } = prepare(tensors, metadata, "safetensors");
  const total = ordered.reduce((sum, tensor) => sum + tensor.data.byteLength, prefix.length);
  const out = new Uint8Array(total);
  out.set(prefix, 0);
  let offset = prefix.length;
  for (const tensor of ordered) {
    out.set(bytesOf(tensor.data), offset);
    offset += tensor.data.byteLength;
  }
  return out;
}

/** Writes all of `bytes` at `position` (one write() call may move less); returns the end. */
async function writeAll(handle: fs.FileHandle, bytes: Uint8Array, position: number): Promise<number> {
  let written = 0;
  while (written < bytes.length) {
    const chunk = Math.min(bytes.length - written, 1 << 30);
    const { bytesWritten } = await handle.write(bytes, written, chunk, position + written);
    written += bytesWritten;
  }
  return position + written;
}

/**
 * Writes a safetensors file atomically (temporary sibling, fsync, rename), streaming the
 * tensors one by one: a multi-GB checkpoint is never concatenated into a single buffer,
 * which is why this does not go through writeFileAtomic.
 */
export async function writeSafetensors(
  file: string,
  tensors: Map<string, WritableTensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  requireLittleEndian(file);
  const { prefix, ordered } = prepare(tensors, metadata, file);
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temporary = temporarySibling(file);
  const handle = await fs.open(temporary, "w");
  try {
    let position = await writeAll(handle, prefix, 0);
    for (const tensor of ordered) position = await writeAll(handle, bytesOf(tensor.data), position);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await fs.rm(temporary, { force: true });
    throw writeError(file, error);
  }
  await handle.close();
  await fs.rename(temporary, file).catch(async (error: unknown) => {
    await fs.rm(temporary, { force: true, recursive: true }).catch(() => undefined);
    throw writeError(file, error);
  });
}
