import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { BabelbedError } from "../util/errors.js";
import { exists, readJsonFile, writeFileAtomic, writeJsonAtomic } from "../util/files.js";

const keyBytes = 32;
const checksumBytes = 8;
/** Records of format 1 had no checksum; they live in vectors.bin, which this version never reads. */
const format = 2;

export interface CacheOptions {
  /** Told once when the cache cannot be written, and of every record dropped as damaged. */
  warn?: (line: string) => void;
}

/**
 * Teacher vectors on disk, keyed by the teacher and the sentence, so that distillation
 * embeds each English sentence with the teacher once across runs (Reimers & Gurevych 2020
 * compute them once too). Records are appended as
 * `[sha256(sentence)][dimension × float32][first 8 bytes of sha256(key and vector)]`:
 * a record cut short by a crash, or with any byte changed, is dropped (with a warning) and
 * its sentence embedded again. A cache that cannot be written leaves the run computing
 * without it.
 */
export class TeacherCache {
  private readonly rows = new Map<string, Float32Array>();
  /** False once writing failed: vectors are then kept for this run only. */
  private writable: boolean;

  private constructor(
    readonly dir: string,
    readonly dimension: number,
    writable: boolean,
    private readonly warn: (line: string) => void,
  ) {
    this.writable = writable;
  }

  /** Open (or create) the cache of one teacher under `root`. */
  static async open(
    root: string,
    teacherFingerprint: string,
    dimension: number,
    options: CacheOptions = {},
  ): Promise<TeacherCache> {
    const warn = options.warn ?? (() => undefined);
    const dir = path.join(root, `teacher-${teacherFingerprint.slice(0, 16)}`);
    const metaFile = path.join(dir, "meta.json");
    try {
      await fs.mkdir(dir, { recursive: true });
      if (!(await exists(metaFile)))
        await writeJsonAtomic(metaFile, { fingerprint: teacherFingerprint, dimension, format });
    } catch (error) {
      if (await exists(metaFile)) throw error;
      warn(`teacher cache ${dir} cannot be written (${describe(error)}); teacher vectors are computed without caching`);
      return new TeacherCache(dir, dimension, false, warn);
    }
    const meta = await readJsonFile<{ fingerprint: string; dimension: number }>(metaFile);
    if (meta.fingerprint !== teacherFingerprint || meta.dimension !== dimension) {
      throw new BabelbedError(
        `${metaFile}: the cache belongs to another teacher (${String(meta.fingerprint).slice(0, 16)}, dimension ${meta.dimension}); delete ${dir}`,
      );
    }
    const cache = new TeacherCache(dir, dimension, true, warn);
    await cache.load();
    return cache;
  }

  get size(): number {
    return this.rows.size;
  }

  private get file(): string {
    return path.join(this.dir, `vectors.v${format}.bin`);
  }

  private get recordBytes(): number {
    return keyBytes + this.dimension * 4 + checksumBytes;
  }

  private async load(): Promise<void> {
    if (!(await exists(this.file))) return;
    const bytes = await fs.readFile(this.file);
    const recordBytes = this.recordBytes;
    const whole = bytes.length - (bytes.length % recordBytes);
    const good: Buffer[] = [];
    let damaged = 0;
    for (let offset = 0; offset < whole; offset += recordBytes) {
      const record = bytes.subarray(offset, offset + recordBytes);
      const body = record.subarray(0, recordBytes - checksumBytes);
      if (!checksum(body).equals(record.subarray(recordBytes - checksumBytes))) {
        damaged++;
        continue;
      }
      const vector = new Float32Array(
        bytes.buffer.slice(
          bytes.byteOffset + offset + keyBytes,
          bytes.byteOffset + offset + keyBytes + this.dimension * 4,
        ),
      );
      this.rows.set(body.subarray(0, keyBytes).toString("hex"), vector);
      good.push(record);
    }
    if (damaged > 0)
      this.warn(
        `${this.file}: ${damaged} damaged record${damaged === 1 ? "" : "s"} dropped; their sentences are embedded again`,
      );
    if (damaged > 0 || whole !== bytes.length) {
      // Rewritten whole (temporary file and rename), so a kill here keeps the old file.
      await writeFileAtomic(this.file, Buffer.concat(good)).catch((error: unknown) => this.stopWriting(error));
    }
  }

  private stopWriting(error: unknown): void {
    if (!this.writable) return;
    this.writable = false;
    this.warn(
      `teacher cache ${this.file} cannot be written (${describe(error)}); teacher vectors are computed without caching`,
    );
  }

  get(sentence: string): Float32Array | undefined {
    return this.rows.get(sentenceKey(sentence));
  }

  /**
   * Vectors for all `sentences`, embedding only those not cached yet with `embed` and
   * appending them. Returns the vectors in order and how many were computed.
   */
  async vectors(
    sentences: string[],
    embed: (missing: string[]) => Promise<Float32Array[]>,
  ): Promise<{ vectors: Float32Array[]; computed: number }> {
    const missing = [...new Set(sentences.filter((sentence) => !this.rows.has(sentenceKey(sentence))))];
    if (missing.length > 0) {
      const computed = await embed(missing);
      const recordBytes = this.recordBytes;
      const buffer = Buffer.alloc(missing.length * recordBytes);
      missing.forEach((sentence, index) => {
        const vector = computed[index]!;
        if (vector.length !== this.dimension)
          throw new Error(`teacher vector of dimension ${vector.length}, cache expects ${this.dimension}`);
        const key = sentenceKey(sentence);
        const offset = index * recordBytes;
        Buffer.from(key, "hex").copy(buffer, offset);
        Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).copy(buffer, offset + keyBytes);
        checksum(buffer.subarray(offset, offset + recordBytes - checksumBytes)).copy(
          buffer,
          offset + recordBytes - checksumBytes,
        );
        this.rows.set(key, vector);
      });
      if (this.writable) await fs.appendFile(this.file, buffer).catch((error: unknown) => this.stopWriting(error));
    }
    return { vectors: sentences.map((sentence) => this.rows.get(sentenceKey(sentence))!), computed: missing.length };
  }
}

function checksum(body: Uint8Array): Buffer {
  return createHash("sha256").update(body).digest().subarray(0, checksumBytes);
}

function describe(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message ?? String(error);
}

function sentenceKey(sentence: string): string {
  return createHash("sha256").update(sentence, "utf8").digest("hex");
}

/** A hash of every file under a model directory (names and bytes), identifying the teacher. */
export async function fingerprintDirectory(dir: string): Promise<string> {
  const hash = createHash("sha256");
  const visit = async (relative: string): Promise<void> => {
    const entries = (await fs.readdir(path.join(dir, relative), { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    );
    for (const entry of entries) {
      const name = path.join(relative, entry.name);
      if (entry.isDirectory()) await visit(name);
      else if (entry.isFile())
        hash
          .update(`${name}\0`)
          .update(await fs.readFile(path.join(dir, name)))
          .update("\0");
    }
  };
  await visit("");
  return hash.digest("hex");
}
