import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { preflight } from "../src/cli/preflight.js";
import { guessHeaderLine } from "../src/data/header-guess.js";
import { type DataSourceInput, dataSourceSchema, resolveSource } from "../src/data/source.js";
import { babelbed } from "./helpers/cli.js";
import { fixturesRoot, repositoryRoot, skipWithoutFixtures } from "./helpers/fixtures.js";

let work: string;
before(async () => {
  work = await mkdtemp(path.join(tmpdir(), "babelbed-preflight-"));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

const parallelFile = path.join(repositoryRoot, "datasets", "en-de", "test.tsv");
const stsFile = path.join(repositoryRoot, "datasets", "en-sts", "test.tsv");

test("preflight loads no tfjs: the executable reports bad paths before the program and its backend load", () => {
  const loaded = execFileSync(
    process.execPath,
    [
      "--import",
      "tsx",
      "--input-type=module",
      "-e",
      `await import(${JSON.stringify(path.join(repositoryRoot, "src", "cli", "preflight.ts"))}); console.log("_tfengine" in globalThis);`,
    ],
    { encoding: "utf8", cwd: repositoryRoot },
  );
  assert.equal(loaded.trim(), "false");
});

test("preflight refuses a missing model folder, a folder that is no model, an unreadable input, a missing recipe", async () => {
  await mkdir(path.join(work, "config-only"), { recursive: true });
  await writeFile(path.join(work, "config-only", "config.json"), "{}");
  const cases: [string[], RegExp][] = [
    [
      ["evaluate", "--model", path.join(work, "config-only"), "--task", "sts", "--data", stsFile],
      /config-only: no model weights; expected model\.safetensors or model\.safetensors\.index\.json$/,
    ],
    [
      ["encode", "--model", path.join(work, "gone"), "--input", stsFile, "--output", "o.jsonl"],
      /gone: not a directory$/,
    ],
    [
      ["evaluate", "--model", path.join(repositoryRoot, "datasets"), "--task", "sts", "--data", stsFile],
      /datasets: neither modules\.json nor config\.json; not a sentence-transformers or Hugging Face model directory$/,
    ],
    [
      ["--verbose", "encode", `--model=${path.join(work, "gone")}`, "--input", stsFile, "--output", "o.jsonl"],
      /gone: not a directory$/,
    ],
    [
      [
        "encode",
        "--model",
        path.join(repositoryRoot, "datasets"),
        "--input",
        path.join(work, "none.txt"),
        "--output",
        "o.jsonl",
      ],
      /none\.txt: cannot read \(ENOENT\)$/,
    ],
    [
      [
        "evaluate",
        "--model",
        path.join(work, "gone"),
        "--task",
        "mse",
        "--teacher",
        "t",
        "--source",
        path.join(work, "s.txt"),
        "--target",
        "t.txt",
      ],
      /s\.txt: cannot read \(ENOENT\)$/,
    ],
    [["run", path.join(work, "none.yaml")], /none\.yaml: cannot read \(ENOENT\)$/],
  ];
  for (const [argv, message] of cases)
    await assert.rejects(preflight(argv), (error: Error) => message.test(error.message), argv.join(" "));
  // Help, and what preflight cannot judge, go on to the program.
  await preflight(["encode", "--model", path.join(work, "gone"), "--help"]);
  await preflight(["info"]);
  await preflight(["evaluate", "--task", "sts"]);
  // --task is the evaluate command's to check, against the task registry, before any backend starts.
  await preflight(["evaluate", "--task", "bogus", "--data", stsFile]);
});

test("the executable exits 2 on a wrong --model with no device line: the backend never started", async () => {
  const result = await babelbed([
    "encode",
    "--model",
    path.join(work, "gone"),
    "--input",
    stsFile,
    "--output",
    path.join(work, "o.jsonl"),
  ]);
  assert.equal(result.code, 2);
  assert.equal(result.stderr, `babelbed: ${path.join(work, "gone")}: not a directory\n`);
});

test("a header line is recognised: a score column without a number, or column names and language codes", async () => {
  const guess = async (contents: string, input: Partial<DataSourceInput> & { kind: "parallel" | "scored-pairs" }) => {
    const file = path.join(work, `guess-${Math.random().toString(36).slice(2)}.tsv`);
    await writeFile(file, contents);
    return guessHeaderLine(resolveSource(dataSourceSchema.parse({ file, format: "tsv", ...input })));
  };
  const sts = { kind: "scored-pairs" as const, scoreRange: [0, 5] as [number, number] };
  assert.deepEqual(
    await guessHeaderLine(
      resolveSource(dataSourceSchema.parse({ kind: "scored-pairs", file: stsFile, format: "tsv", scoreRange: [0, 5] })),
    ),
    { line: 1, reason: 'its score column holds "score", not a number' },
  );
  assert.deepEqual(
    await guessHeaderLine(
      resolveSource(dataSourceSchema.parse({ kind: "parallel", file: parallelFile, format: "tsv" })),
    ),
    { line: 1, reason: "it holds column names (en, de)" },
  );
  assert.deepEqual(await guess("Source\tTranslation\nA cat.\tEine Katze.\n", { kind: "parallel" }), {
    line: 1,
    reason: "it holds column names (Source, Translation)",
  });
  assert.deepEqual(await guess("\n\nzh_Hans\tpt-BR\nA cat.\tUm gato.\n", { kind: "parallel" }), {
    line: 3,
    reason: "it holds column names (zh_Hans, pt-BR)",
  });
  assert.equal(await guess("A cat.\tEine Katze.\nA dog.\tEin Hund.\n", { kind: "parallel" }), undefined);
  assert.equal(await guess("a\tb\t1\nc\td\t2\n", sts), undefined);
  // A bad score on every row is the data's problem, which the reader names, not a header.
  assert.equal(await guess("a cat\ta dog\tx\nc\td\ty\n", sts), undefined);
  assert.equal(
    await guess("en\tde\n", { kind: "parallel", header: true, columns: { source: "en", target: "de" } }),
    undefined,
    "--header given",
  );
});

test("evaluate refuses a header-looking first line without --header or --no-header, naming both; --no-header scores it as a pair", {
  skip: skipWithoutFixtures,
}, async () => {
  const model = path.join(fixturesRoot, "tiny-bert-uncased");
  const refused = await babelbed([
    "evaluate",
    "--model",
    model,
    "--task",
    "retrieval",
    "--data",
    parallelFile,
    "--device",
    "js",
  ]);
  assert.equal(refused.code, 2, refused.stderr);
  assert.equal(
    refused.stderr,
    `babelbed: ${parallelFile}:1: this line looks like a header: it holds column names (en, de). Give --header to skip it (its names can then be used in --columns), or --no-header to score it as data\n`,
  );
  const [withHeader, asData] = await Promise.all(
    [["--header", "--columns", "source=en,target=de"], ["--no-header"]].map(async (flags) => {
      const output = path.join(work, `${flags[0]}.json`);
      const result = await babelbed([
        "evaluate",
        "--model",
        model,
        "--task",
        "retrieval",
        "--data",
        parallelFile,
        ...flags,
        "--device",
        "js",
        "--output",
        output,
      ]);
      assert.equal(result.code, 0, result.stderr);
      return JSON.parse(await readFile(output, "utf8")) as { data: { rows: number } };
    }),
  );
  assert.equal(asData!.data.rows, withHeader!.data.rows + 1, "--no-header reads the first line as a pair");
});

test("evaluate --help says what happens without --header", async () => {
  const result = await babelbed(["evaluate", "--help"]);
  assert.match(
    result.stdout.replace(/\s+/g, " "),
    /--no-header csv\/tsv: the first line is data \(without either, a first line that looks like column names is refused\)/,
  );
});
