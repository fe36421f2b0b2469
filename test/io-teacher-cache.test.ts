import assert from "node:assert/strict";
import { chmod, readFile, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { test } from "node:test";
import { TeacherCache } from "../src/io/teacher-cache.js";
import { scratchDirectories } from "./helpers/scratch.js";

const scratch = scratchDirectories("teacher-cache");
const dimension = 4;
const sentences = ["one", "two", "three"];
const vectorOf = (sentence: string) =>
  Float32Array.from({ length: dimension }, (_, index) => sentence.length + index / 10);
let embedded: string[] = [];
const embed = async (missing: string[]) => {
  embedded.push(...missing);
  return missing.map(vectorOf);
};
const recordBytes = 32 + dimension * 4 + 8;

async function filled(): Promise<{ root: string; file: string }> {
  const root = scratch();
  const cache = await TeacherCache.open(root, "f".repeat(64), dimension);
  await cache.vectors(sentences, embed);
  return { root, file: path.join(cache.dir, "vectors.v2.bin") };
}

test("a flipped byte in a cached vector or key drops that record with a warning, and its sentence is embedded again", async () => {
  for (const where of [32 + 5, 3, recordBytes - 1]) {
    const { root, file } = await filled();
    const bytes = await readFile(file);
    assert.equal(bytes.length, 3 * recordBytes);
    bytes[recordBytes + where] ^= 0x40; // the second record ("two")
    await writeFile(file, bytes);
    const warnings: string[] = [];
    const cache = await TeacherCache.open(root, "f".repeat(64), dimension, { warn: (line) => warnings.push(line) });
    assert.equal(cache.size, 2, `byte ${where}`);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /vectors\.v2\.bin: 1 damaged record dropped/);
    embedded = [];
    const { vectors, computed } = await cache.vectors(sentences, embed);
    assert.equal(computed, 1);
    assert.deepEqual(embedded, ["two"]);
    assert.deepEqual(vectors, sentences.map(vectorOf), "every vector is the teacher's, none is garbage");
    const again = await TeacherCache.open(root, "f".repeat(64), dimension, { warn: (line) => warnings.push(line) });
    assert.equal(again.size, 3, "the file was repaired");
    assert.equal(warnings.length, 1);
  }
});

test("a record cut short is dropped and the file truncated to whole records", async () => {
  const { root, file } = await filled();
  const bytes = await readFile(file);
  await writeFile(file, bytes.subarray(0, bytes.length - 7));
  const cache = await TeacherCache.open(root, "f".repeat(64), dimension);
  assert.equal(cache.size, 2);
  assert.equal((await readFile(file)).length, 2 * recordBytes);
});

test("an unwritable cache computes without caching, with one warning", async () => {
  const blocker = path.join(scratch(), "a-file");
  await writeFile(blocker, "not a folder");
  const readOnly = scratch();
  await chmod(readOnly, 0o555);
  const roots = [path.join(blocker, "cache"), ...(process.getuid?.() === 0 ? [] : [readOnly])];
  for (const root of roots) {
    const warnings: string[] = [];
    const cache = await TeacherCache.open(root, "f".repeat(64), dimension, { warn: (line) => warnings.push(line) });
    embedded = [];
    assert.deepEqual((await cache.vectors(sentences, embed)).vectors, sentences.map(vectorOf));
    assert.deepEqual((await cache.vectors(["four", "one"], embed)).vectors, ["four", "one"].map(vectorOf));
    assert.deepEqual(embedded, [...sentences, "four"], "kept in memory for this run");
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0]!, /cannot be written .*computed without caching/);
  }
  await chmod(readOnly, 0o755);
});
