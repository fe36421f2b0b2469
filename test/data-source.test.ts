import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { dataSourceSchema, parseDataSource, resolveSource } from "../src/data/source.js";
import { BabelbedError } from "../src/util/errors.js";

function problems(value: unknown): string {
  try {
    parseDataSource(value, "recipe data.train");
  } catch (error) {
    assert.ok(error instanceof BabelbedError);
    return error.message;
  }
  assert.fail("expected the spec to be rejected");
}

describe("dataSourceSchema", () => {
  test("fills in defaults", () => {
    const source = parseDataSource({ kind: "scored-pairs", file: "sts-dev.csv", format: "tsv", scoreRange: [0, 5] });
    assert.equal(source.onBadRows, "fail");
    assert.equal(source.blankLines, "fail");
    const resolved = resolveSource(source, "/recipes/sts");
    assert.deepEqual(resolved.files, ["/recipes/sts/sts-dev.csv"]);
    assert.equal(resolved.quote, null, "tsv has no quoting unless asked");
    assert.deepEqual(
      [...resolved.columns],
      [
        ["sentence1", 0],
        ["sentence2", 1],
        ["score", 2],
      ],
    );
    const csv = resolveSource(parseDataSource({ kind: "triplets", file: "t.csv", format: "csv", header: true }));
    assert.equal(csv.quote, '"');
    assert.deepEqual(
      [...csv.columns],
      [
        ["anchor", "anchor"],
        ["positive", "positive"],
        ["negative", "negative"],
      ],
    );
  });

  test("names each mistake by its place in the spec", () => {
    assert.match(
      problems({ kind: "sts", file: "a", format: "csv" }),
      /^recipe data.train is invalid:\n.*Expected 'scored-pairs'[\s\S]*at kind/,
    );
    assert.match(problems({ kind: "triplets", file: "a", format: "csv", colums: {} }), /Unrecognized key: "colums"/);
    assert.match(problems({ kind: "scored-pairs", file: "a", format: "csv" }), /at scoreRange/);
    assert.match(
      problems({ kind: "scored-pairs", file: "a", format: "csv", scoreRange: [5, 0] }),
      /low < high, got \[5, 0\][\s\S]*at scoreRange/,
    );
    assert.match(
      problems({
        kind: "scored-pairs",
        file: "a",
        format: "tsv",
        scoreRange: [0, 5],
        columns: { score: "similarity" },
      }),
      /"similarity" is a name but the file has no header[\s\S]*at columns.score/,
    );
    assert.match(
      problems({ kind: "sentences", file: "a", format: "jsonl", columns: { text: 2 } }),
      /jsonl fields are named by key[\s\S]*at columns.text/,
    );
    assert.match(
      problems({ kind: "scored-pairs", file: "a", format: "lines", scoreRange: [0, 5] }),
      /kind scored-pairs needs csv, tsv or jsonl/,
    );
    assert.match(problems({ kind: "parallel", file: "a", format: "lines" }), /give files: \{source, target\}/);
    assert.doesNotThrow(() =>
      parseDataSource({
        kind: "parallel",
        format: "csv",
        files: { source: "a", target: "b" },
        columns: { source: 1, target: 1 },
      }),
    );
    assert.match(
      problems({ kind: "parallel", format: "lines", files: { source: "a", target: "b" }, columns: { source: 1 } }),
      /format lines has no columns/,
    );
    assert.match(
      problems({ kind: "parallel", format: "lines", file: "x", files: { source: "a", target: "b" } }),
      /either file or files/,
    );
    assert.match(
      problems({ kind: "sentences", file: "a", format: "jsonl", header: true }),
      /only csv and tsv have a header line/,
    );
    assert.match(
      problems({ kind: "labelled-pairs", file: "a", format: "jsonl", labels: { "0": "entails" } }),
      /at labels.0/,
    );
    assert.match(problems({ kind: "triplets", file: "a", format: "tsv", onBadRows: "ignore" }), /at onBadRows/);
    assert.match(
      problems({
        kind: "labelled-pairs",
        file: "a",
        format: "jsonl",
        labels: { Neutral: "neutral", " neutral": "neutral" },
      }),
      /"Neutral" and " neutral" are the same label/,
    );
  });

  test("is a zod schema that a recipe schema can embed", () => {
    const result = dataSourceSchema.safeParse({
      kind: "sentences",
      file: "mono.txt",
      format: "lines",
      blankLines: "skip",
      limit: 10,
    });
    assert.ok(result.success);
    assert.equal(result.data.limit, 10);
  });
});
