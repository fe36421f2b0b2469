import assert from "node:assert/strict";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { test } from "node:test";
import { openAtomicWriter, recoverSwaps, swapDirectory, writeError, writeFileAtomic } from "../src/util/files.js";
import { BabelbedError } from "../src/util/errors.js";
import { scratchDirectories } from "./helpers/scratch.js";

const scratch = scratchDirectories("files");

test("a failed atomic write names its file and leaves no temporary file behind", async () => {
  const dir = scratch();
  const target = path.join(dir, "summary.json");
  await mkdir(target); // a directory where the file should go: the rename fails
  await assert.rejects(
    writeFileAtomic(target, "{}"),
    (error) =>
      error instanceof BabelbedError && /summary\.json: cannot write \(it is a directory\)/.test(error.message),
  );
  const writer = await openAtomicWriter(target);
  await writer.write("x");
  await assert.rejects(writer.commit(), /summary\.json: cannot write/);
  assert.deepEqual(await readdir(dir), ["summary.json"], "no .tmp-* file is left");
});

test("an atomic writer keeps text and bytes in the order written, and shows nothing before commit", async () => {
  const dir = scratch();
  const target = path.join(dir, "mixed.bin");
  const writer = await openAtomicWriter(target);
  await writer.write("head:");
  await writer.write(Uint8Array.of(0, 1, 2, 255));
  await writer.write(":tail");
  assert.ok(!(await readdir(dir)).includes("mixed.bin"), "the target appears only on commit");
  await writer.commit();
  assert.deepEqual([...(await readFile(target))], [...Buffer.from("head:"), 0, 1, 2, 255, ...Buffer.from(":tail")]);
});

test("recoverSwaps puts back a folder whose swap was cut between its renames, and removes other leftovers", async () => {
  const dir = scratch();
  const target = path.join(dir, "models", "teacher");
  await mkdir(target, { recursive: true });
  await writeFile(path.join(target, "weights"), "old");
  const staging = path.join(dir, "models", "teacher.tmp-1-2-abc");
  await mkdir(staging);
  await writeFile(path.join(staging, "weights"), "new");
  await swapDirectory(staging, target);
  assert.equal(await readFile(path.join(target, "weights"), "utf8"), "new");
  assert.deepEqual(await readdir(path.join(dir, "models")), ["teacher"], "an uninterrupted swap leaves nothing");

  // The state a kill between the two renames leaves: the target moved aside, the new copy staged.
  await writeFile(path.join(target, "weights"), "kept");
  await import("node:fs/promises").then((fs) => fs.rename(target, `${target}.old-7-100`));
  await mkdir(`${target}.tmp-7-101-xyz`);
  await mkdir(`${target}.old-6-50`); // an older copy, also left over
  await writeFile(path.join(dir, "state.json.tmp-7-102-q1"), "{");
  const done = await recoverSwaps(dir);
  assert.equal(done.filter((line) => /restored/.test(line)).length, 1);
  assert.equal(await readFile(path.join(target, "weights"), "utf8"), "kept", "the newest copy is back");
  assert.deepEqual((await readdir(path.join(dir, "models"))).sort(), ["teacher"]);
  assert.deepEqual((await readdir(dir)).sort(), ["models"]);
});

test("a full disk is named with its file, as a run failure (exit 1)", () => {
  const error = writeError(
    "/runs/x/summary.json",
    Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" }),
  );
  assert.ok(error instanceof BabelbedError);
  assert.equal(error.exitCode, 1);
  assert.equal(error.message, "/runs/x/summary.json: cannot write (no space left on the device)");
});
