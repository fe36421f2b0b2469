import { writeFileAtomic } from "../util/files.js";

/**
 * Serialise a float32 matrix as NumPy's `.npy` format version 1.0: magic, a Python-dict
 * header padded with spaces to a 64-byte boundary, then little-endian data, as
 * `numpy.save` writes it, so `numpy.load` reads it as `float32 [rows, columns]`.
 */
export function serializeNpy(rows: Float32Array[], columns: number): Uint8Array {
  const shape = `(${rows.length}, ${columns})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
  const prefixLength = 10; // magic (6) + version (2) + header length (2)
  const total = Math.ceil((prefixLength + header.length + 1) / 64) * 64;
  header = `${header.padEnd(total - prefixLength - 1, " ")}\n`;
  const bytes = new Uint8Array(total + rows.length * columns * 4);
  bytes.set([0x93, ...Buffer.from("NUMPY"), 1, 0], 0);
  new DataView(bytes.buffer).setUint16(8, header.length, true);
  bytes.set(Buffer.from(header, "latin1"), prefixLength);
  const data = new DataView(bytes.buffer, total);
  rows.forEach((row, index) => {
    if (row.length !== columns) throw new Error(`row ${index} has ${row.length} values, expected ${columns}`);
    for (let column = 0; column < columns; column++)
      data.setFloat32((index * columns + column) * 4, row[column]!, true);
  });
  return bytes;
}

export async function writeNpy(file: string, rows: Float32Array[], columns: number): Promise<void> {
  await writeFileAtomic(file, serializeNpy(rows, columns));
}

/** Read back a 2-D little-endian float32 `.npy` (what `serializeNpy` and `numpy.save` write). */
export function parseNpy(bytes: Uint8Array, source: string): { shape: [number, number]; data: Float32Array } {
  const magic = Buffer.from(bytes.subarray(0, 6)).toString("latin1");
  if (magic !== "\x93NUMPY") throw new Error(`${source}: not a .npy file`);
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = Buffer.from(bytes.subarray(start, start + headerLength)).toString("latin1");
  if (!/'descr':\s*'<f4'/.test(header) || /'fortran_order':\s*True/.test(header)) {
    throw new Error(`${source}: only C-ordered little-endian float32 arrays are read (header ${header.trim()})`);
  }
  const match = /'shape':\s*\((\d+),\s*(\d+)\)/.exec(header);
  if (match === null) throw new Error(`${source}: expected a 2-D array (header ${header.trim()})`);
  const shape: [number, number] = [Number(match[1]), Number(match[2])];
  const offset = start + headerLength;
  // A copy, not `slice`: on a Node Buffer `slice` is a view into a shared pool.
  const data = new Float32Array(shape[0] * shape[1]);
  new Uint8Array(data.buffer).set(bytes.subarray(offset, offset + data.byteLength));
  return { shape, data };
}
