import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkAligned } from "../src/data/parallel.js";
import { openDataSource } from "../src/data/rows.js";
import { BabelbedError } from "../src/util/errors.js";
import { writeFiles } from "./helpers/data-files.js";

describe("parallel sentences", () => {
  test("two line-aligned files (Tatoeba style) pair line i with line i", async () => {
    const files = await writeFiles({
      "tatoeba.jpn-eng.jpn": "彼は手紙を書く。\n猫が好きです。\n",
      "tatoeba.jpn-eng.eng": "He writes a letter.\r\nI like cats.\r\n",
    });
    const reader = openDataSource({
      kind: "parallel",
      format: "lines",
      files: { source: files["tatoeba.jpn-eng.jpn"]!, target: files["tatoeba.jpn-eng.eng"]! },
    });
    assert.deepEqual(await reader.toArray(), [
      { file: files["tatoeba.jpn-eng.jpn"], line: 1, source: "彼は手紙を書く。", target: "He writes a letter." },
      { file: files["tatoeba.jpn-eng.jpn"], line: 2, source: "猫が好きです。", target: "I like cats." },
    ]);
    assert.equal(reader.report.rows, 2);
  });

  test("paths are resolved against the base directory (the recipe's)", async () => {
    const files = await writeFiles({ "train.en": "hello .\n", "train.ja": "こんにちは 。\n" });
    const directory = files["train.en"]!.replace(/train\.en$/, "");
    const rows = await openDataSource(
      { kind: "parallel", format: "lines", files: { source: "train.en", target: "train.ja" } },
      { baseDirectory: directory },
    ).toArray();
    assert.deepEqual(
      rows.map((row) => [row.source, row.target]),
      [["hello .", "こんにちは 。"]],
    );
  });

  test("different line counts are an error naming both files and both counts, before any pair is read", async () => {
    const files = await writeFiles({ "train.en": "a\nb\nc\n", "train.ja": "あ\nい" });
    const reader = openDataSource({
      kind: "parallel",
      format: "lines",
      files: { source: files["train.en"]!, target: files["train.ja"]! },
    });
    let seen = 0;
    await assert.rejects(
      (async () => {
        for await (const _ of reader) seen += 1;
      })(),
      (error: unknown) => {
        assert.ok(error instanceof BabelbedError);
        assert.equal(
          error.message,
          `line-aligned files differ in length: ${files["train.en"]} has 3 lines but ${files["train.ja"]} has 2; ` +
            "line i of one must be the translation of line i of the other",
        );
        return true;
      },
    );
    assert.equal(seen, 0);
    await assert.rejects(checkAligned(files["train.en"]!, files["train.ja"]!), BabelbedError);
  });

  test("a final line without a newline still counts, so such files stay aligned", async () => {
    const files = await writeFiles({ a: "x\ny", b: "1\n2\n" });
    assert.equal(await checkAligned(files.a!, files.b!), 2);
  });

  test("an empty side or bad bytes name the file where they are", async () => {
    const files = await writeFiles({
      source: Buffer.concat([Buffer.from("one\n\ntwo\n"), Buffer.from([0xff, 0x0a]), Buffer.from("\n")]),
      target: "uno\ndos\n\ntres\n\n",
    });
    const reader = openDataSource({
      kind: "parallel",
      format: "lines",
      files: { source: files.source!, target: files.target! },
      onBadRows: "skip",
      blankLines: "skip",
    });
    const rows = await reader.toArray();
    assert.deepEqual(
      rows.map((row) => [row.line, row.source, row.target]),
      [[1, "one", "uno"]],
    );
    assert.deepEqual(
      reader.report.listedBadRows.map((bad) => [bad.file, bad.line, bad.field, bad.reason]),
      [
        [files.source, 2, "source", "empty"],
        [files.target, 3, "target", "empty"],
        [files.source, 4, "source", "invalid UTF-8 at byte 0 of the line (bytes ff)"],
      ],
    );
    assert.equal(reader.report.blankLines, 1);
  });

  test("a two-column tsv is another way to hold pairs", async () => {
    const { file } = await writeFiles({ file: "Hello.\tHallo.\nThanks.\tDanke.\n" });
    const rows = await openDataSource({ kind: "parallel", file: file!, format: "tsv" }).toArray();
    assert.deepEqual(
      rows.map((row) => [row.source, row.target]),
      [
        ["Hello.", "Hallo."],
        ["Thanks.", "Danke."],
      ],
    );
  });

  test("two row-aligned csv files (stsb-multi-mt style): CRLF, quoted fields across lines, one column from each", async () => {
    const files = await writeFiles({
      "stsb-en.csv":
        'A plane is taking off.,An air plane is taking off.,5.0\r\n"A man said ""hi"",\r\nthen left.",A man left.,2.5\r\n',
      "stsb-de.csv":
        'Ein Flugzeug hebt ab.,Ein Flugzeug startet.,5.0\r\n"Ein Mann sagte ""hallo""\r\nund ging.",Ein Mann ging.,2.5\r\n',
    });
    const read = (column: number) =>
      openDataSource({
        kind: "parallel",
        format: "csv",
        files: { source: files["stsb-en.csv"]!, target: files["stsb-de.csv"]! },
        columns: { source: column, target: column },
      }).toArray();
    assert.deepEqual(
      (await read(0)).map((row) => [row.file, row.line, row.source, row.target]),
      [
        [files["stsb-en.csv"], 1, "A plane is taking off.", "Ein Flugzeug hebt ab."],
        [files["stsb-en.csv"], 2, 'A man said "hi",\r\nthen left.', 'Ein Mann sagte "hallo"\r\nund ging.'],
      ],
    );
    assert.deepEqual(
      (await read(1)).map((row) => [row.source, row.target]),
      [
        ["An air plane is taking off.", "Ein Flugzeug startet."],
        ["A man left.", "Ein Mann ging."],
      ],
    );
  });

  test("row-aligned files: the default column is each file's first, and header names work per file", async () => {
    const files = await writeFiles({ "en.tsv": "en\tid\nHello.\t1\n", "de.tsv": "id\tde\n1\tHallo.\n" });
    const plain = await openDataSource({
      kind: "parallel",
      format: "tsv",
      files: { source: files["en.tsv"]!, target: files["de.tsv"]! },
    }).toArray();
    assert.deepEqual(
      plain.map((row) => [row.source, row.target]),
      [
        ["en", "id"],
        ["Hello.", "1"],
      ],
    );
    const named = await openDataSource({
      kind: "parallel",
      format: "tsv",
      header: true,
      files: { source: files["en.tsv"]!, target: files["de.tsv"]! },
      columns: { source: "en", target: "de" },
    }).toArray();
    assert.deepEqual(
      named.map((row) => [row.source, row.target]),
      [["Hello.", "Hallo."]],
    );
  });

  test("row-aligned files with different row counts fail before any pair, naming both files and counts", async () => {
    const files = await writeFiles({ "en.csv": 'a,b\n"c\nd",e\n', "de.csv": "x,y\nz,w\nv,u\n" });
    const reader = openDataSource({
      kind: "parallel",
      format: "csv",
      files: { source: files["en.csv"]!, target: files["de.csv"]! },
    });
    const seen: unknown[] = [];
    await assert.rejects(
      (async () => {
        for await (const row of reader) seen.push(row);
      })(),
      (error: unknown) =>
        error instanceof BabelbedError &&
        error.message.startsWith(
          `row-aligned files differ in length: ${files["en.csv"]} has 2 rows but ${files["de.csv"]} has 3`,
        ),
    );
    assert.deepEqual(seen, []);
  });

  test("row-aligned files: a bad row or a blank in one file only is named by that file and line", async () => {
    const files = await writeFiles({ "en.csv": "one,1\n\nthree,3\nfour,4\n", "de.csv": "eins,1\nzwei,2\ndrei,\n\n" });
    const reader = openDataSource({
      kind: "parallel",
      format: "csv",
      files: { source: files["en.csv"]!, target: files["de.csv"]! },
      columns: { source: 0, target: 1 },
      onBadRows: "skip",
    });
    assert.deepEqual(
      (await reader.toArray()).map((row) => [row.source, row.target]),
      [["one", "1"]],
    );
    assert.deepEqual(
      reader.report.listedBadRows.map((bad) => [bad.file, bad.line, bad.field, bad.reason]),
      [
        [files["en.csv"], 2, "source", "empty line; the other file has a row here"],
        [files["en.csv"], 3, "target", "empty"],
        [files["de.csv"], 4, "target", "empty line; the other file has a row here"],
      ],
    );
  });
});
