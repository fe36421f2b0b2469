import { promises as fs } from "node:fs";
import * as path from "node:path";
import { BabelbedError } from "./errors.js";

/** A name beside `target` that no other writer (process, or call within one) picks: where a file or folder is staged before the rename. */
export function temporarySibling(target: string): string {
  return `${target}.tmp-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

/**
 * Write a file so that readers only ever see the old or the new content:
 * write to a temporary sibling, flush it, then rename over the target.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temporary = temporarySibling(file);
  const handle = await fs.open(temporary, "w");
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(temporary, file);
}

/** A file written piece by piece that appears, whole, only on `commit`. */
export interface AtomicWriter {
  write(text: string): Promise<void>;
  /** Flush, sync and rename over the target. */
  commit(): Promise<void>;
  /** Remove the partial file; the target keeps its old content. */
  abort(): Promise<void>;
}

/** `writeFileAtomic` for content too large to hold: text is buffered in about 1 MB pieces. */
export async function openAtomicWriter(file: string): Promise<AtomicWriter> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temporary = temporarySibling(file);
  const handle = await fs.open(temporary, "w");
  let pending: string[] = [];
  let pendingLength = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    const text = pending.join("");
    pending = [];
    pendingLength = 0;
    await handle.write(text);
  };
  return {
    write: async (text) => {
      pending.push(text);
      pendingLength += text.length;
      if (pendingLength >= 1 << 20) await flush();
    },
    commit: async () => {
      try {
        await flush();
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(temporary, file);
    },
    abort: async () => {
      await handle.close().catch(() => undefined);
      await fs.rm(temporary, { force: true });
    },
  };
}

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value, null, 2) + "\n");
}

export { BabelbedError };

export async function readJsonFile<T = unknown>(file: string): Promise<T> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (error) {
    throw new BabelbedError(`${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new BabelbedError(`${file}: invalid JSON (${(error as Error).message})`);
  }
}

export async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}
