import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { writeHeldOutSplit } from "../src/cli/wizard/data.js";
import { splitHeldOut } from "../src/data/shuffle.js";
import { openAtomicWriter } from "../src/util/files.js";
import { BabelbedError } from "../src/util/errors.js";

test("the held-out split streams the corpus once: exact sizes, order kept, the rows splitHeldOut picks, any text intact", async () => {
  const work = await mkdtemp(path.join(tmpdir(), "babelbed-split-"));
  try {
    const pairs = Array.from({ length: 300 }, (_, index) => ({
      source: `sentence ${index}\twith a tab`,
      target: `文 ${index}\n改行つき`,
    }));
    const file = path.join(work, "pairs.jsonl");
    await writeFile(file, `${pairs.map((pair) => JSON.stringify(pair)).join("\n")}\n`);
    const files = { train: path.join(work, "out", "train.jsonl"), test: path.join(work, "out", "test.jsonl") };
    const spec = { kind: "parallel" as const, file, format: "jsonl" as const };
    assert.deepEqual(await writeHeldOutSplit(spec, 300, 40, 9, files), { train: 260, test: 40 });
    const read = async (name: string) =>
      (await readFile(name, "utf8"))
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line) as { source: string; target: string });
    const expected = splitHeldOut(pairs, { heldOut: 40, seed: 9 });
    assert.deepEqual(await read(files.test), expected.heldOut);
    assert.deepEqual(await read(files.train), expected.train);

    // A corpus that changed since it was counted: an error naming it, the old files kept, no temporary left.
    await assert.rejects(
      writeHeldOutSplit(spec, 301, 40, 9, files),
      (error: Error) =>
        error instanceof BabelbedError && error.message.includes(`${file}: 300 pairs now, 301 when it was checked`),
    );
    assert.deepEqual((await readdir(path.join(work, "out"))).sort(), ["test.jsonl", "train.jsonl"]);
    assert.equal((await read(files.test)).length, 40);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test("an atomic writer shows nothing until commit, and abort keeps the old content", async () => {
  const work = await mkdtemp(path.join(tmpdir(), "babelbed-atomic-"));
  try {
    const target = path.join(work, "big.txt");
    await writeFile(target, "old\n");
    const line = `${"x".repeat(999)}\n`;
    const writer = await openAtomicWriter(target);
    for (let index = 0; index < 3000; index++) await writer.write(line);
    assert.equal(await readFile(target, "utf8"), "old\n", "3 MB written, none of it visible yet");
    await writer.commit();
    assert.equal((await readFile(target, "utf8")).length, 3000 * 1000);

    const aborted = await openAtomicWriter(target);
    await aborted.write("partial");
    await aborted.abort();
    assert.equal((await readFile(target, "utf8")).length, 3000 * 1000);
    assert.deepEqual(await readdir(work), ["big.txt"]);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
