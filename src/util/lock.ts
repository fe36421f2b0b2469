import { promises as fs } from "node:fs";
import * as os from "node:os";
import { BabelbedError } from "./errors.js";

interface LockOwner {
  pid: number;
  host: string;
  started: string;
}

/** True while a process of this id runs on this machine (EPERM: it runs under another user). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * An exclusive lock file holding the owner's pid and host. A lock whose process is gone
 * (same host, pid not running) is stale and taken over; a lock from another host is
 * never judged stale, since its process cannot be seen from here.
 */
export async function acquireLock(
  file: string,
  what: string,
  warn: (line: string) => void = () => undefined,
): Promise<() => Promise<void>> {
  const owner: LockOwner = { pid: process.pid, host: os.hostname(), started: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await fs.open(file, "wx");
      try {
        await handle.writeFile(`${JSON.stringify(owner)}\n`);
      } finally {
        await handle.close();
      }
      return async () => {
        await fs.rm(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new BabelbedError(
          `${file}: cannot create the lock of ${what} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
        );
      }
    }
    const holder = await readOwner(file);
    if (holder !== undefined && (holder.host !== owner.host || processAlive(holder.pid))) {
      throw new BabelbedError(
        `${what} is in use by process ${holder.pid} on ${holder.host} (since ${holder.started}); wait for it to end, or delete ${file} if that process is gone`,
      );
    }
    // A lock file being written (undefined) may be read half-done; one retry tells a writer from a crash.
    if (holder === undefined && attempt === 0) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      if ((await readOwner(file)) !== undefined) continue;
    }
    warn(
      `${file}: taking over the lock of ${holder ? `process ${holder.pid}, which is no longer running` : "a process that died while taking it"}`,
    );
    await fs.rm(file, { force: true });
  }
  throw new BabelbedError(`${file}: could not take the lock of ${what}`);
}

async function readOwner(file: string): Promise<LockOwner | undefined> {
  try {
    const owner = JSON.parse(await fs.readFile(file, "utf8")) as LockOwner;
    return typeof owner.pid === "number" && typeof owner.host === "string" ? owner : undefined;
  } catch {
    return undefined;
  }
}
