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
  await renameWhenWritten(temporary, file, async () => {
    const handle = await fs.open(temporary, "w");
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  });
}

/** Run `write` (which fills and closes `temporary`), then rename it over `file`; on failure nothing is left behind. */
async function renameWhenWritten(temporary: string, file: string, write: () => Promise<void>): Promise<void> {
  try {
    await write();
    await fs.rename(temporary, file);
  } catch (error) {
    // A full disk must not stay full because of the copy that did not fit.
    await fs.rm(temporary, { force: true, recursive: true }).catch(() => undefined);
    throw writeError(file, error);
  }
}

/** A failed write names its file (ENOSPC alone says nothing of where); a run failure, exit 1. */
export function writeError(file: string, error: unknown): Error {
  if (error instanceof BabelbedError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === undefined) return error as Error;
  const why = code === "ENOSPC" ? "no space left on the device" : code === "EISDIR" ? "it is a directory" : code;
  return new BabelbedError(`${file}: cannot write (${why})`, 1);
}

/** Where `target` is kept during a folder swap: the next start puts it back if the swap was cut short. */
export function previousSibling(target: string): string {
  return `${target}.old-${process.pid}-${Date.now()}`;
}

const stagedName = /^(.+)\.tmp-\d+-\d+-[a-z0-9]+$/;
const previousName = /^(.+)\.old-\d+-\d+$/;

/**
 * Replace `target` by the complete folder `staging` with two renames, keeping the old one
 * until the new one is in place. Node has no renameat2(RENAME_EXCHANGE), so a kill between
 * the renames can leave `target` missing beside `target.old-*`; `recoverSwaps` puts it back.
 */
export async function swapDirectory(staging: string, target: string): Promise<void> {
  const previous = previousSibling(target);
  const hadTarget = await exists(target);
  if (hadTarget) await fs.rename(target, previous);
  await fs.rename(staging, target);
  if (hadTarget) await fs.rm(previous, { recursive: true, force: true });
}

/**
 * Finish what killed writers left under `root` (which the caller holds locked, so no writer
 * is alive): a target missing beside its `.old-*` copy gets that copy back (the swap is undone,
 * so the step that wrote it runs again from its checkpoint); every other `.old-*` and `.tmp-*`
 * is removed. Returns what it did, one line each.
 */
export async function recoverSwaps(root: string): Promise<string[]> {
  const done: string[] = [];
  const visit = async (dir: string, depth: number): Promise<void> => {
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    const names = new Set(entries.map((entry) => entry.name));
    // Newest first, so that of several copies of one target the latest is restored.
    const time = (name: string) => Number(name.slice(name.lastIndexOf("-") + 1));
    const previous = entries
      .filter((entry) => previousName.test(entry.name))
      .map((entry) => entry.name)
      .sort((a, b) => time(b) - time(a));
    for (const name of previous) {
      const base = previousName.exec(name)![1]!;
      if (!names.has(base)) {
        await fs.rename(path.join(dir, name), path.join(dir, base));
        names.add(base);
        done.push(`${path.join(dir, base)}: restored from an interrupted replacement`);
      } else {
        await fs.rm(path.join(dir, name), { recursive: true, force: true });
        done.push(`${path.join(dir, name)}: removed (left by an interrupted replacement)`);
      }
    }
    for (const entry of entries) {
      if (stagedName.test(entry.name)) {
        await fs.rm(path.join(dir, entry.name), { recursive: true, force: true });
        done.push(`${path.join(dir, entry.name)}: removed (left by an interrupted write)`);
      }
    }
    if (depth === 0) return;
    for (const name of names) {
      if (stagedName.test(name) || previousName.test(name)) continue;
      const stat = await fs.lstat(path.join(dir, name)).catch(() => undefined);
      if (stat?.isDirectory()) await visit(path.join(dir, name), depth - 1);
    }
  };
  await visit(root, 4);
  return done;
}

/** A file written piece by piece that appears, whole, only on `commit`. */
export interface AtomicWriter {
  /** Text is buffered; bytes (a tensor's, say) go to the file at once, after any text before them. */
  write(data: string | Uint8Array): Promise<void>;
  /** Flush, sync and rename over the target. */
  commit(): Promise<void>;
  /** Remove the partial file; the target keeps its old content. */
  abort(): Promise<void>;
}

/** `writeFileAtomic` for content too large to hold (over 2 GiB, even): text is buffered in about 1 MB pieces. */
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
    write: async (data) => {
      if (typeof data !== "string") {
        await flush();
        // write(2) may take less than asked (Linux stops near 2 GiB a call), so loop until all is in.
        for (let done = 0; done < data.byteLength; )
          done += (await handle.write(data, done, data.byteLength - done)).bytesWritten;
        return;
      }
      pending.push(data);
      pendingLength += data.length;
      if (pendingLength >= 1 << 20) await flush();
    },
    commit: () =>
      renameWhenWritten(temporary, file, async () => {
        try {
          await flush();
          await handle.sync();
        } finally {
          await handle.close();
        }
      }),
    abort: async () => {
      await handle.close().catch(() => undefined);
      await fs.rm(temporary, { force: true });
    },
  };
}

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

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
