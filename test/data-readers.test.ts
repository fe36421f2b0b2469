import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { describeReport, formatBadRow, normalizeScore, openDataSource, type BadRow } from "../src/data/rows.js";
import { BabelbedError } from "../src/util/errors.js";
import { writeFiles } from "./helpers/data-files.js";

async function rejectsWith(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof BabelbedError, `expected a BabelbedError, got ${String(error)}`);
    assert.match(error.message, pattern);
    return true;
  });
}

const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((part) => (typeof part === "string" ? Buffer.from(part, "utf8") : Buffer.from(part))));

describe("csv", () => {
  test("reads RFC 4180 quoting: commas, doubled quotes and line breaks inside fields", async () => {
    const { file } = await writeFiles({
      file: 'A plane.,"An air plane, taking off.",5.0\n"He said ""no"".","Two\nlines",2.5\nlast,row,0\n',
    });
    const rows = await openDataSource({
      kind: "scored-pairs",
      file: file!,
      format: "csv",
      scoreRange: [0, 5],
    }).toArray();
    assert.deepEqual(
      rows.map(({ sentence1, sentence2, score, line }) => ({ sentence1, sentence2, score, line })),
      [
        { sentence1: "A plane.", sentence2: "An air plane, taking off.", score: 5, line: 1 },
        { sentence1: 'He said "no".', sentence2: "Two\nlines", score: 2.5, line: 2 },
        { sentence1: "last", sentence2: "row", score: 0, line: 4 },
      ],
    );
    assert.equal(rows[0]!.file, file);
    assert.deepEqual(
      rows.map((row) => normalizeScore(row.score, [0, 5])),
      [1, 0.5, 0],
    );
  });

  test("CRLF line endings (as stsb-multi-mt) leave no carriage return in the last field", async () => {
    const { file } = await writeFiles({ file: 'a,"b, c",1.5\r\nd,e,4\r\n' });
    const rows = await openDataSource({
      kind: "scored-pairs",
      file: file!,
      format: "csv",
      scoreRange: [0, 5],
    }).toArray();
    assert.deepEqual(
      rows.map((row) => [row.sentence1, row.sentence2, row.score, row.line]),
      [
        ["a", "b, c", 1.5, 1],
        ["d", "e", 4, 2],
      ],
    );
  });

  test("a header names the columns; unnamed fields default to their own names", async () => {
    const { file } = await writeFiles({ file: "id,hypothesis,premise,gold\n7,h1,p1,neutral\n8,h2,p2,ENTAILMENT\n" });
    const rows = await openDataSource({
      kind: "labelled-pairs",
      file: file!,
      format: "csv",
      header: true,
      columns: { label: "gold" },
    }).toArray();
    assert.deepEqual(
      rows.map((row) => [row.premise, row.hypothesis, row.label, row.line]),
      [
        ["p1", "h1", "neutral", 2],
        ["p2", "h2", "entailment", 3],
      ],
    );
  });

  test("a header without a named column is an error that lists the columns", async () => {
    const { file } = await writeFiles({ file: "a,b,c\n1,2,3\n" });
    const reader = openDataSource({
      kind: "triplets",
      file: file!,
      format: "csv",
      header: true,
      columns: { anchor: "a", positive: "b" },
    });
    await rejectsWith(reader.toArray(), /:1: field negative: the header has no column "negative" \(columns: a, b, c\)/);
  });

  test("a malformed quote fails with the record's line and a hint", async () => {
    const { file } = await writeFiles({ file: 'ok,fine,1\nbad,"quoted"tail,2\n' });
    const reader = openDataSource({ kind: "scored-pairs", file: file!, format: "csv", scoreRange: [0, 5] });
    await rejectsWith(reader.toArray(), new RegExp(`^${file}:2: malformed csv: .*set quote: none`));
  });

  test("skipping a malformed record keeps the rows around it and their line numbers", async () => {
    // Enough rows that the bad one falls inside a batch and is found by replaying it.
    const lines = Array.from({ length: 3000 }, (_, index) =>
      index === 1999 ? 'x,"y"z,1' : `s${index},t${index},${index % 7}`,
    );
    const quoted = '"multi\nline",t,1';
    const { file } = await writeFiles({ file: `${[quoted, ...lines].join("\n")}\n` });
    const seen: BadRow[] = [];
    const reader = openDataSource(
      { kind: "scored-pairs", file: file!, format: "csv", scoreRange: [0, 5], onBadRows: "skip" },
      { onBadRow: (bad) => seen.push(bad) },
    );
    const rows = await reader.toArray();
    // 1 multi-line record + 3000 lines, minus the malformed one and the 428 whose score index % 7 is 6.
    assert.equal(rows.length, 2572);
    assert.equal(reader.report.badRows, 429);
    assert.equal(rows[0]!.line, 1);
    assert.equal(rows[1]!.line, 3);
    for (const row of rows.slice(1)) assert.equal(row.sentence1, `s${row.line - 3}`);
    const malformed = seen.find((bad) => bad.reason.startsWith("malformed"));
    assert.equal(malformed?.line, 2002);
    assert.equal(seen.filter((bad) => bad.field === "score").length, 428);
  });

  test("an unterminated quote is reported at the line it opened on", async () => {
    const { file } = await writeFiles({ file: 'a,b,1\n"never closed,b,2\nc,d,3\n' });
    const reader = openDataSource({ kind: "scored-pairs", file: file!, format: "csv", scoreRange: [0, 5] });
    await rejectsWith(reader.toArray(), new RegExp(`^${file}:2: malformed csv \\(the record runs from line 2 to 3\\)`));
  });
});

describe("tsv", () => {
  test("bare quotes are text, not quoting (the STS Benchmark files)", async () => {
    const { file } = await writeFiles({
      file: 'main-news\tMSRpar\t2012test\t0001\t3.800\tHe said "we will win.\tThe "team" will win. \textra\tfields\n',
    });
    const rows = await openDataSource({
      kind: "scored-pairs",
      file: file!,
      format: "tsv",
      columns: { score: 4, sentence1: 5, sentence2: 6 },
      scoreRange: [0, 5],
    }).toArray();
    assert.deepEqual(rows, [
      { file, line: 1, sentence1: 'He said "we will win.', sentence2: 'The "team" will win. ', score: 3.8 },
    ]);
  });

  test("with quote handling switched on, a bare quote that never closes becomes one bad record", async () => {
    const lines = ['a\t"bare quote\t1', ...Array.from({ length: 150 }, (_, index) => `s${index}\tt${index}\t2`)];
    const { file } = await writeFiles({ file: `${lines.join("\n")}\n` });
    const reader = openDataSource({
      kind: "scored-pairs",
      file: file!,
      format: "tsv",
      quote: '"',
      scoreRange: [0, 5],
      onBadRows: "skip",
    });
    const rows = await reader.toArray();
    assert.equal(reader.report.badRows, 1);
    assert.equal(reader.report.listedBadRows[0]!.line, 1);
    assert.match(reader.report.listedBadRows[0]!.reason, /still open after \d+ lines.*set quote: none/);
    assert.equal(rows.length, 150);
    assert.deepEqual([rows[0]!.line, rows[0]!.sentence1], [2, "s0"]);
  });

  test("a row with too few columns names the field and the column it needs", async () => {
    const { file } = await writeFiles({ file: "a\tb\t1\nc\td\n" });
    const reader = openDataSource({ kind: "scored-pairs", file: file!, format: "tsv", scoreRange: [0, 5] });
    await rejectsWith(
      reader.toArray(),
      new RegExp(`^${file}:2: field score: missing: the row has 2 columns, this field reads column 2`),
    );
  });
});

describe("bad rows", () => {
  const content = "s1\tt1\t1.5\ns2\tt2\tabc\ns3\tt3\t7\ns4\t \t2\ns5\tt5\t0x1F\ns6\tt6\t4.25\n";

  test("fail on the first one by default, as FILE:LINE: field X: reason", async () => {
    const { file } = await writeFiles({ file: content });
    const reader = openDataSource({ kind: "scored-pairs", file: file!, format: "tsv", scoreRange: [0, 5] });
    await rejectsWith(
      reader.toArray(),
      new RegExp(`^${file}:2: field score: not a number: the string "abc" \\(onBadRows: skip`),
    );
  });

  test("are skipped and reported, each one, with onBadRows: skip", async () => {
    const { file } = await writeFiles({ file: content });
    const reader = openDataSource({
      kind: "scored-pairs",
      file: file!,
      format: "tsv",
      scoreRange: [0, 5],
      onBadRows: "skip",
    });
    const rows = await reader.toArray();
    assert.deepEqual(
      rows.map((row) => [row.line, row.score]),
      [
        [1, 1.5],
        [6, 4.25],
      ],
    );
    assert.equal(reader.report.rows, 2);
    assert.equal(reader.report.badRows, 4);
    assert.deepEqual(reader.report.listedBadRows.map(formatBadRow), [
      `${file}:2: field score: not a number: the string "abc"`,
      `${file}:3: field score: 7 is outside the score range [0, 5]`,
      `${file}:4: field sentence2: empty`,
      `${file}:5: field score: not a number: the string "0x1F"`,
    ]);
    assert.match(describeReport(reader.report), /read 2 rows from .*; skipped 4 bad rows:\n {2}.*:2: field score/);
  });

  test("invalid UTF-8 is reported by line and field, and skipping it reads on", async () => {
    const { file } = await writeFiles({
      file: bytes(
        "good\tpair\t1\n",
        "caf",
        [0xe9],
        "\tcafe\t2\n",
        "ok\tsplit ",
        [0xe3, 0x81],
        "\t3\n",
        "next\tone\t4\n",
      ),
    });
    const failing = openDataSource({ kind: "scored-pairs", file: file!, format: "tsv", scoreRange: [0, 5] });
    await rejectsWith(
      failing.toArray(),
      new RegExp(`^${file}:2: field sentence1: invalid UTF-8 at byte 3 of the line \\(bytes e9 09 63 61\\)`),
    );
    const skipping = openDataSource({
      kind: "scored-pairs",
      file: file!,
      format: "tsv",
      scoreRange: [0, 5],
      onBadRows: "skip",
    });
    const rows = await skipping.toArray();
    assert.deepEqual(
      rows.map((row) => [row.line, row.sentence1]),
      [
        [1, "good"],
        [4, "next"],
      ],
    );
    assert.deepEqual(
      skipping.report.listedBadRows.map((bad) => [bad.line, bad.field]),
      [
        [2, "sentence1"],
        [3, "sentence2"],
      ],
    );
  });

  test("labels: the three names in any case, integers only through a mapping", async () => {
    const { file } = await writeFiles({ file: '{"p":"a","h":"b","y":0}\n{"p":"c","h":"d","y":"Contradiction"}\n' });
    const columns = { premise: "p", hypothesis: "h", label: "y" };
    const plain = openDataSource({ kind: "labelled-pairs", file: file!, format: "jsonl", columns });
    await rejectsWith(plain.toArray(), /:1: field label: unknown label "0" .*numeric labels need a mapping/);
    const mapped = openDataSource({
      kind: "labelled-pairs",
      file: file!,
      format: "jsonl",
      columns,
      labels: { "0": "entailment", "1": "neutral", "2": "contradiction", contradiction: "contradiction" },
    });
    assert.deepEqual(
      (await mapped.toArray()).map((row) => row.label),
      ["entailment", "contradiction"],
    );
  });
});

describe("jsonl, lines and blank lines", () => {
  test("jsonl reads named keys and reports bad lines", async () => {
    const { file } = await writeFiles({
      file: '{"sentence1":"a","sentence2":"b","label":4.2}\n{"sentence1":"a"}\n[1,2]\n{oops\n{"sentence1":"c","sentence2":"d","label":"1.0"}\n',
    });
    const reader = openDataSource({
      kind: "scored-pairs",
      file: file!,
      format: "jsonl",
      columns: { score: "label" },
      scoreRange: [0, 5],
      onBadRows: "skip",
    });
    const rows = await reader.toArray();
    assert.deepEqual(
      rows.map((row) => [row.line, row.score]),
      [
        [1, 4.2],
        [5, 1],
      ],
    );
    const reasons = reader.report.listedBadRows.map(formatBadRow);
    assert.match(reasons[0]!, /:2: field sentence2: missing: no key "sentence2" \(keys: sentence1\)$/);
    assert.match(reasons[1]!, /:3: expected a JSON object, got an array$/);
    assert.match(reasons[2]!, /:4: invalid JSON/);
  });

  test("lines: one text per line, CRLF stripped, blank lines an error unless skipped", async () => {
    const { file } = await writeFiles({ file: "first line\r\n\r\nthird line\nlast without newline" });
    await rejectsWith(
      openDataSource({ kind: "sentences", file: file!, format: "lines" }).toArray(),
      /:2: empty line \(set blankLines: skip/,
    );
    const reader = openDataSource({ kind: "sentences", file: file!, format: "lines", blankLines: "skip" });
    assert.deepEqual(
      (await reader.toArray()).map((row) => [row.line, row.text]),
      [
        [1, "first line"],
        [3, "third line"],
        [4, "last without newline"],
      ],
    );
    assert.equal(reader.report.blankLines, 1);
  });

  test("a byte order mark is dropped, limit stops early, and every pass reads the file again", async () => {
    const { file } = await writeFiles({ file: bytes([0xef, 0xbb, 0xbf], "one\ntwo\nthree\n") });
    const reader = openDataSource({ kind: "sentences", file: file!, format: "lines", limit: 2 });
    assert.deepEqual(
      (await reader.toArray()).map((row) => row.text),
      ["one", "two"],
    );
    assert.deepEqual(
      (await reader.toArray()).map((row) => row.text),
      ["one", "two"],
    );
  });

  test("a missing file is a BabelbedError naming it", async () => {
    const { file } = await writeFiles({ file: "" });
    await rejectsWith(
      openDataSource({ kind: "sentences", file: `${file}.nope`, format: "lines" }).toArray(),
      /\.nope: cannot read \(ENOENT\)/,
    );
  });
});
