import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import type { DataSourceInput } from "../src/data/source.js";
import { miningTask, retrievalTask, stsTask, type Metrics } from "../src/evaluate/encoder-tasks.js";
import { loadSentenceEncoder } from "../src/io/encoder-checkpoint.js";
import { readParallel, readScoredPairs } from "../src/recipes/data.js";
import type { MetricDescription } from "../src/evaluate/metric-descriptions.js";
import { formatNumber as format } from "../src/util/format.js";
import { useBackend } from "./helpers/backends.js";
import { babelbed } from "./helpers/cli.js";
import { fixturesRoot, repositoryRoot, skipWithoutFixtures } from "./helpers/fixtures.js";

const model = path.join(fixturesRoot, "tiny-bert-uncased");
const parallelFile = path.join(repositoryRoot, "datasets", "en-de", "test.tsv");
const stsFile = path.join(repositoryRoot, "datasets", "en-sts", "test.tsv");

/** Run the CLI on js and return its JSON report, checking the table shows the same metrics. */
async function evaluateWithCli(work: string, args: string[]): Promise<{ metrics: Metrics; [key: string]: unknown }> {
  const output = path.join(work, `${args[1]}-${Math.random().toString(36).slice(2)}.json`);
  // tfjs on both sides, so the figures agree to the last bit (the onnx engine agrees to 1e-5: test/onnx-*.test.ts).
  const result = await babelbed([
    "evaluate",
    "--model",
    model,
    ...args,
    "--device",
    "js",
    "--engine",
    "tfjs",
    "--output",
    output,
  ]);
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(await readFile(output, "utf8"));
  // The table: each metric by its name for people, its value in its unit, n and chance as the JSON describes them.
  const printed = result.stdout.trimEnd().split("\n");
  assert.match(printed[0]!, /^metric\s+value\s+n\s+chance$/);
  const descriptions = report.descriptions as Record<string, MetricDescription>;
  assert.deepEqual(
    Object.keys(descriptions),
    Object.keys(report.metrics),
    "a description for every metric, the metrics' keys unchanged",
  );
  for (const [index, [metric, value]] of Object.entries(report.metrics as Metrics).entries()) {
    const description = descriptions[metric]!;
    const line = printed[index + 1]!;
    assert.ok(line.startsWith(`${description.name}  `), `${line} names ${metric} as ${description.name}`);
    const cells = line.slice(description.name.length).trim().split(/\s+/);
    assert.equal(cells[0], format(value, description.unit));
    if (description.n !== undefined) assert.equal(cells[1], String(description.n));
    if (description.chance !== undefined) assert.equal(cells.at(-1), format(description.chance, description.unit));
    assert.doesNotMatch(cells[0]!, /^0\.0+$/, "a value is never written as zeros unless it is 0");
  }
  return report;
}

const log = () => undefined;
const options = { batchSize: 32 };
const parallelSpec: DataSourceInput = {
  kind: "parallel",
  file: parallelFile,
  format: "tsv",
  header: true,
  columns: { source: "en", target: "de" },
};

test("babelbed evaluate prints and writes the metrics that src/evaluate computes in-process", {
  skip: skipWithoutFixtures,
}, async () => {
  const work = await mkdtemp(path.join(tmpdir(), "babelbed-evaluate-"));
  await useBackend("js");
  const encoder = await loadSentenceEncoder(model);
  try {
    const retrieval = await evaluateWithCli(work, [
      "--task",
      "retrieval",
      "--data",
      parallelFile,
      "--header",
      "--columns",
      "source=en,target=de",
    ]);
    const pairs = await readParallel(parallelSpec, "test", repositoryRoot, log);
    assert.equal(pairs.length, 150);
    assert.deepEqual(retrieval.metrics, await retrievalTask(encoder, pairs, options));
    assert.equal(retrieval.task, "retrieval");
    assert.equal((retrieval.data as { rows: number }).rows, 150);
    assert.equal((retrieval.device as { device: string }).device, "js");
    const described = retrieval.descriptions as Record<string, MetricDescription>;
    assert.deepEqual(described.source_to_target, {
      name: "top-1 retrieval accuracy, English → German",
      description: "top-1 retrieval accuracy, source → target",
      unit: "%",
      better: "higher",
      n: 150,
      chance: 1 / 150,
      count: false,
    });
    assert.equal(described.target_to_source!.name, "top-1 retrieval accuracy, German → English");

    const sts = await evaluateWithCli(work, ["--task", "sts", "--data", stsFile, "--header", "--score-range", "0,5"]);
    const scored = await readScoredPairs(
      { kind: "scored-pairs", file: stsFile, format: "tsv", header: true, scoreRange: [0, 5] },
      "test",
      repositoryRoot,
      log,
    );
    assert.deepEqual(Object.keys(sts.metrics), ["spearman", "pearson"]);
    assert.deepEqual(sts.metrics, await stsTask(encoder, scored, options));
    const stsDescribed = sts.descriptions as Record<string, MetricDescription>;
    assert.deepEqual(
      [stsDescribed.spearman!.unit, stsDescribed.spearman!.chance, stsDescribed.spearman!.n],
      ["correlation", 0, scored.length],
    );

    // Two line-aligned files, as Tatoeba ships them.
    const [sourceFile, targetFile] = [path.join(work, "test.en"), path.join(work, "test.de")];
    await writeFile(sourceFile, `${pairs.map((pair) => pair.source).join("\n")}\n`);
    await writeFile(targetFile, `${pairs.map((pair) => pair.target).join("\n")}\n`);
    const mining = await evaluateWithCli(work, [
      "--task",
      "mining",
      "--source",
      sourceFile,
      "--target",
      targetFile,
      "--k",
      "3",
      "--limit",
      "60",
    ]);
    assert.equal(mining.k, 3);
    // The languages from the files' extensions; the threshold described as a setting, not a score.
    const miningDescribed = mining.descriptions as Record<string, MetricDescription>;
    assert.equal(miningDescribed.precision!.name, "bitext mining precision, English–German");
    assert.equal(miningDescribed.threshold!.better, "none");
    assert.match(miningDescribed.threshold!.name, /threshold .*not a score/);
    assert.deepEqual(mining.metrics, await miningTask(encoder, pairs.slice(0, 60), 3, options));
  } finally {
    encoder.dispose();
    await rm(work, { recursive: true, force: true });
  }
});

test("babelbed evaluate --task mse against the model itself gives mse_source 0", {
  skip: skipWithoutFixtures,
}, async () => {
  const work = await mkdtemp(path.join(tmpdir(), "babelbed-evaluate-"));
  try {
    const mse = await evaluateWithCli(work, [
      "--task",
      "mse",
      "--teacher",
      model,
      "--data",
      parallelFile,
      "--header",
      "--columns",
      "source=en,target=de",
      "--limit",
      "40",
    ]);
    assert.equal(mse.metrics.mse_source, 0);
    assert.ok(mse.metrics.mse_target! > 0, "English and German sentences get different vectors");
    assert.equal(mse.teacher, model);
    const mseDescribed = mse.descriptions as Record<string, MetricDescription>;
    assert.deepEqual(
      [mseDescribed.mse_target!.unit, mseDescribed.mse_target!.better, mseDescribed.mse_target!.n],
      ["squared-error", "lower", 40],
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test("babelbed evaluate exits 2 on bad input, naming the file and line or the flag", async () => {
  const work = await mkdtemp(path.join(tmpdir(), "babelbed-evaluate-"));
  try {
    // It exists: a missing file is refused before its format is looked at.
    await writeFile(path.join(work, "pairs.txt"), "a cat\teine Katze\n");
    const cases: [string[], RegExp][] = [
      [["--task", "retrieval", "--data", path.join(work, "missing.tsv")], /missing\.tsv: cannot read \(ENOENT\)/],
      [
        ["--task", "retrieval", "--data", parallelFile, "--header", "--columns", "source=en,target=fr"],
        /en-de[/\\]test\.tsv:1: field target: the header has no column "fr"/,
      ],
      [
        ["--task", "retrieval", "--data", parallelFile, "--columns", "source=en,target=de"],
        /"en" is a name but the file has no header/,
      ],
      [["--task", "retrieval", "--data", parallelFile, "--columns", "english=0"], /columns/],
      [["--task", "translate", "--data", parallelFile], /--task <task>' argument 'translate' is invalid/],
      [["--task", "mse", "--data", parallelFile, "--header"], /--task mse needs --teacher/],
      [["--task", "sts", "--source", parallelFile, "--target", parallelFile], /sts needs --data/],
      [["--task", "sts", "--data", stsFile, "--header", "--score-range", "5,0"], /scoreRange/],
      [["--task", "retrieval", "--data", path.join(work, "pairs.txt")], /--data .*pairs\.txt: cannot tell the format/],
      [["--task", "retrieval"], /give --data FILE, or --source FILE with --target FILE/],
    ];
    for (const [args, message] of cases) {
      const result = await babelbed(["evaluate", "--model", model, "--device", "js", ...args]);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
    }
    const missingModel = await babelbed([
      "evaluate",
      "--model",
      path.join(work, "nowhere"),
      "--task",
      "sts",
      "--data",
      stsFile,
      "--header",
      "--device",
      "js",
    ]);
    assert.equal(missingModel.code, 2, missingModel.stderr);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test("babelbed evaluate --help shows an example", async () => {
  const result = await babelbed(["evaluate", "--help"]);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /Examples:\n\s+babelbed evaluate --model /);
});
