import assert from "node:assert/strict";
import { test } from "node:test";
import { countLines, decodeLine, firstInvalidUtf8, readLines } from "../src/data/lines.js";
import { BabelbedError } from "../src/util/errors.js";
import { writeFiles } from "./helpers/data-files.js";

async function collect(file: string, chunkBytes: number): Promise<[number, string][]> {
  const lines: [number, string][] = [];
  for await (const { line, bytes } of readLines(file, { chunkBytes })) {
    const decoded = decodeLine(bytes);
    assert.ok(decoded.ok);
    lines.push([line, decoded.text]);
  }
  return lines;
}

test("lines split across tiny chunks, even inside a multi-byte character, come out whole", async () => {
  const text = "\ufeff言う価値のあること\r\n\nDon't speak.\nlast 🙂";
  const { file } = await writeFiles({ file: text });
  const expected: [number, string][] = [
    [1, "言う価値のあること\r"],
    [2, ""],
    [3, "Don't speak."],
    [4, "last 🙂"],
  ];
  for (const chunkBytes of [1, 2, 3, 5, 64])
    assert.deepEqual(await collect(file!, chunkBytes), expected, `chunks of ${chunkBytes}`);
  assert.equal(await countLines(file!), 4);
});

test("a line over the limit is an error rather than unbounded memory", async () => {
  const { file } = await writeFiles({ file: `short\n${"x".repeat(100)}\n` });
  await assert.rejects(
    (async () => {
      for await (const _ of readLines(file!, { maxLineBytes: 50, chunkBytes: 16 }));
    })(),
    (error: unknown) => error instanceof BabelbedError && /:2: line is longer than 50 bytes/.test(error.message),
  );
});

test("strict UTF-8: the first bad byte is located; overlong forms and surrogates are rejected", () => {
  assert.equal(firstInvalidUtf8(Buffer.from("héllo")), 6);
  assert.equal(firstInvalidUtf8(Buffer.from([0x61, 0xc0, 0xaf])), 1); // overlong "/"
  assert.equal(firstInvalidUtf8(Buffer.from([0x61, 0x62, 0xed, 0xa0, 0x80])), 2); // a UTF-16 surrogate
  assert.equal(firstInvalidUtf8(Buffer.from([0xe3, 0x81])), 0); // cut short
  assert.equal(firstInvalidUtf8(Buffer.from([0xf4, 0x90, 0x80, 0x80])), 0); // above U+10FFFF
  const decoded = decodeLine(Buffer.from([0x6f, 0x6b, 0xff]));
  assert.deepEqual(decoded, { ok: false, offset: 2, reason: "invalid UTF-8 at byte 2 of the line (bytes ff)" });
});
