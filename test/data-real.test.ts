import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, test } from "node:test";
import { openDataSource } from "../src/data/rows.js";
import { sharedData, skipWithoutSharedData } from "./helpers/data-files.js";

// Exact counts and spot values from ../shared/data/README.md and the files themselves.
const data = (...parts: string[]) => path.join(sharedData, ...parts);
const skip = skipWithoutSharedData;

describe("the shared public data sets", () => {
  test("stsb-multi-mt en + de train files read as 2 × 5,749 aligned translation pairs", { skip }, async () => {
    const pairs = async (column: number) =>
      openDataSource({
        kind: "parallel",
        format: "csv",
        files: {
          source: data("stsb-multi-mt", "stsb-en-train.csv"),
          target: data("stsb-multi-mt", "stsb-de-train.csv"),
        },
        columns: { source: column, target: column },
      }).toArray();
    const [first, second] = [await pairs(0), await pairs(1)];
    assert.deepEqual([first.length, second.length], [5749, 5749]);
    assert.deepEqual([first[0]!.source, first[0]!.target], ["A plane is taking off.", "Ein Flugzeug hebt gerade ab."]);
    assert.deepEqual(
      [second[5748]!.line, second[5748]!.target],
      [5749, "Das Neueste zum Thema Schlechtwetter: 1 Tote in Texas nach Tornado"],
    );
    // No side may carry a CR from the CRLF endings.
    assert.ok([...first, ...second].every((pair) => !pair.source.endsWith("\r") && !pair.target.endsWith("\r")));
  });

  test("STS Benchmark sts-dev.csv: tab-separated, bare quotes kept, 1,500 rows", { skip }, async () => {
    const reader = openDataSource({
      kind: "scored-pairs",
      file: data("stsb", "sts-dev.csv"),
      format: "tsv",
      columns: { score: 4, sentence1: 5, sentence2: 6 },
      scoreRange: [0, 5],
    });
    const rows = await reader.toArray();
    assert.equal(rows.length, 1500);
    assert.deepEqual(reader.report.badRows, 0);
    assert.deepEqual(
      [rows[0]!.sentence1, rows[0]!.sentence2, rows[0]!.score, rows[1499]!.line],
      ["A man with a hard hat is dancing.", "A man wearing a hard hat is dancing.", 5, 1500],
    );
    assert.ok(rows.some((row) => row.sentence1.includes('"') || row.sentence2.includes('"')));

    // The README's cross-check: stsb-multi-mt's English file (RFC 4180 CSV, CRLF) holds the same pairs.
    const english = await openDataSource({
      kind: "scored-pairs",
      file: data("stsb-multi-mt", "stsb-en-dev.csv"),
      format: "csv",
      scoreRange: [0, 5],
    }).toArray();
    assert.equal(english.length, 1500);
    english.forEach((row, index) => {
      assert.deepEqual(
        [row.sentence1, row.sentence2, row.score],
        [rows[index]!.sentence1, rows[index]!.sentence2, rows[index]!.score],
      );
    });
  });

  test("stsb-multi-mt stsb-ja-dev.csv: 1,500 rows", { skip }, async () => {
    const rows = await openDataSource({
      kind: "scored-pairs",
      file: data("stsb-multi-mt", "stsb-ja-dev.csv"),
      format: "csv",
      scoreRange: [0, 5],
    }).toArray();
    assert.equal(rows.length, 1500);
    assert.ok(rows.every((row) => !row.sentence2.includes("\r")));
    assert.equal(rows[0]!.sentence1, "硬い帽子をかぶった男が踊っている。");
  });

  test("JSTS valid-v1.3.json: 1,457 rows, gold under the key label", { skip }, async () => {
    const rows = await openDataSource({
      kind: "scored-pairs",
      file: data("jsts", "valid-v1.3.json"),
      format: "jsonl",
      columns: { score: "label" },
      scoreRange: [0, 5],
    }).toArray();
    assert.equal(rows.length, 1457);
    assert.deepEqual([rows[1]!.sentence1, rows[1]!.score], ["山の上に顔の白い牛が2頭います。", 2.4]);
  });

  test("SNLI dev: 9,842 pairs, 3,329 / 3,235 / 3,278", { skip }, async () => {
    const rows = await openDataSource({
      kind: "labelled-pairs",
      file: data("nli", "snli_1.0_dev.jsonl"),
      format: "jsonl",
    }).toArray();
    assert.equal(rows.length, 9842);
    const counts = { entailment: 0, neutral: 0, contradiction: 0 };
    for (const row of rows) counts[row.label] += 1;
    assert.deepEqual(counts, { entailment: 3329, neutral: 3235, contradiction: 3278 });
  });

  test("Tatoeba jpn-eng: 1,000 aligned pairs", { skip }, async () => {
    const rows = await openDataSource({
      kind: "parallel",
      format: "lines",
      files: { source: data("tatoeba", "tatoeba.jpn-eng.jpn"), target: data("tatoeba", "tatoeba.jpn-eng.eng") },
    }).toArray();
    assert.equal(rows.length, 1000);
    assert.deepEqual([rows[2]!.source, rows[2]!.target], ["彼は手紙を書く。", "He writes a letter."]);
  });

  test("small_parallel_enja dev: 500 aligned pairs", { skip }, async () => {
    const rows = await openDataSource({
      kind: "parallel",
      format: "lines",
      files: { source: data("small_parallel_enja", "dev.en"), target: data("small_parallel_enja", "dev.ja") },
    }).toArray();
    assert.equal(rows.length, 500);
    assert.deepEqual([rows[0]!.source, rows[0]!.target], ["show your own business .", "自分 の 事 を しろ 。"]);
  });

  test("SICK: header, CRLF, no final newline, upper-case labels, 9,840 pairs", { skip }, async () => {
    const rows = await openDataSource({
      kind: "labelled-pairs",
      file: data("sick", "SICK.txt"),
      format: "tsv",
      header: true,
      columns: { premise: "sentence_A", hypothesis: "sentence_B", label: "entailment_label" },
    }).toArray();
    assert.equal(rows.length, 9840);
    assert.equal(rows[0]!.line, 2);
    assert.ok(rows.every((row) => !row.hypothesis.endsWith("\r")));
  });
});
