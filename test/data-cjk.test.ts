import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { joinCjk, openDataSource } from "../src/data/rows.js";

test("joinSpacedCjk removes a segmenter's spaces between CJK characters and keeps the others", async () => {
  assert.equal(joinCjk("誰 が 一番 に 着 く か 私 に は 分か り ま せ ん 。"), "誰が一番に着くか私には分かりません。");
  assert.equal(joinCjk("I like 寿司 very much"), "I like 寿司 very much");
  const work = await mkdtemp(path.join(tmpdir(), "babelbed-cjk-"));
  try {
    const file = path.join(work, "pairs.tsv");
    await writeFile(file, "i am happy .\t私 は 幸せ で す 。\n");
    const rows = await openDataSource({ kind: "parallel", file, format: "tsv", joinSpacedCjk: true }).toArray();
    assert.deepEqual(
      rows.map((row) => [row.source, row.target]),
      [["i am happy .", "私は幸せです。"]],
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
