import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { parseNpy } from "../src/io/npy.js";
import { testBackends } from "./helpers/backends.js";
import { fixturesRoot, loadExpected, maxAbsDifference, skipWithoutFixtures } from "./helpers/fixtures.js";
import { babelbed } from "./helpers/cli.js";

for (const backend of testBackends) {
  test(`babelbed encode reproduces sentence-transformers' vectors on ${backend}, in input order, empty lines included`, {
    skip: skipWithoutFixtures,
  }, async () => {
    const expected = loadExpected("tiny-bert-uncased");
    const work = await mkdtemp(path.join(tmpdir(), "babelbed-encode-"));
    try {
      // Sentences with line breaks inside cannot be one line of input; every other fixture sentence is used.
      const rows = (expected.sentences as { text: string }[])
        .map((sentence, index) => ({ text: sentence.text, vector: expected.pooled.cls_normalized[index] as number[] }))
        .filter((row) => !/[\n\r\u2028\u2029\u0085]/.test(row.text));
      const input = path.join(work, "sentences.txt");
      await writeFile(input, `${[...rows.map((row) => row.text), ""].join("\n")}\n`, "utf8");
      const model = path.join(fixturesRoot, "tiny-bert-uncased");

      const jsonl = path.join(work, "vectors.jsonl");
      const result = await babelbed([
        "encode",
        "--model",
        model,
        "--input",
        input,
        "--output",
        jsonl,
        "--device",
        backend,
        "--batch-size",
        "5",
      ]);
      assert.equal(result.code, 0, result.stderr);
      const lines = (await readFile(jsonl, "utf8"))
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line) as { text: string; embedding: number[] });
      assert.equal(lines.length, rows.length + 1, "one output per input line, the empty one too");
      assert.deepEqual(
        lines.map((line) => line.text),
        [...rows.map((row) => row.text), ""],
      );
      assert.ok(
        maxAbsDifference(
          lines.slice(0, rows.length).map((line) => line.embedding),
          rows.map((row) => row.vector),
        ) < 1e-5,
      );
      assert.equal(lines.at(-1)!.embedding.length, 24);

      const npy = path.join(work, "vectors.npy");
      assert.equal(
        (
          await babelbed([
            "encode",
            "--model",
            model,
            "--input",
            input,
            "--output",
            npy,
            "--device",
            backend,
            "--batch-size",
            "5",
          ])
        ).code,
        0,
      );
      const { shape, data } = parseNpy(await readFile(npy), npy);
      assert.deepEqual(shape, [rows.length + 1, 24]);
      lines.forEach((line, index) =>
        assert.deepEqual(Array.from(data.subarray(index * 24, (index + 1) * 24)), line.embedding.map(Math.fround)),
      );
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
}

test("babelbed encode names the file and line of invalid UTF-8, and exits 2 on bad input", async () => {
  const work = await mkdtemp(path.join(tmpdir(), "babelbed-encode-"));
  try {
    const input = path.join(work, "broken.txt");
    await writeFile(input, Buffer.concat([Buffer.from("fine\nalso fine\n"), Buffer.from([0x66, 0xc3, 0x28, 0x0a])]));
    const result = await babelbed([
      "encode",
      "--model",
      path.join(fixturesRoot, "tiny-bert"),
      "--input",
      input,
      "--output",
      path.join(work, "out.jsonl"),
      "--device",
      "js",
    ]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /broken\.txt:3: /);
    assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
    const missing = await babelbed([
      "encode",
      "--model",
      path.join(work, "nowhere"),
      "--input",
      input,
      "--output",
      path.join(work, "out.jsonl"),
      "--device",
      "js",
    ]);
    assert.equal(missing.code, 2);
    assert.equal((await babelbed(["encode", "--model", "x"])).code, 2, "a missing required option is a usage error");
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
