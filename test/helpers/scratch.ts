import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after } from "node:test";
import { BabelbedError } from "../../src/util/errors.js";

/**
 * A maker of fresh directories under one scratch folder, removed when the test file ends:
 * `directory({ "config.json": {...}, "1_Pooling/config.json": {...} })` writes each file
 * (text as is, anything else as JSON) and returns the directory.
 */
export function scratchDirectories(prefix: string): (files?: Record<string, unknown>) => string {
  const scratch = mkdtempSync(path.join(tmpdir(), `babelbed-${prefix}-`));
  after(() => rmSync(scratch, { recursive: true, force: true }));
  let counter = 0;
  return (files = {}) => {
    const dir = path.join(scratch, `case-${++counter}`);
    mkdirSync(dir, { recursive: true });
    for (const [name, value] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), typeof value === "string" ? value : JSON.stringify(value, null, 2));
    }
    return dir;
  };
}

function isBabelbedErrorWith(fragments: string[]): (error: unknown) => true {
  return (error) => {
    assert.ok(error instanceof BabelbedError, `expected BabelbedError, got ${String(error)}`);
    for (const fragment of fragments)
      assert.ok(error.message.includes(fragment), `"${error.message}" lacks "${fragment}"`);
    return true;
  };
}

/** `action` throws a BabelbedError whose message holds every fragment. */
export function assertThrowsWith(action: () => unknown, ...fragments: string[]): void {
  assert.throws(action, isBabelbedErrorWith(fragments));
}

/** `action` rejects with a BabelbedError whose message holds every fragment. */
export async function assertRejectsWith(action: () => Promise<unknown>, ...fragments: string[]): Promise<void> {
  await assert.rejects(action, isBabelbedErrorWith(fragments));
}
