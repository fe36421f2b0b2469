import assert from "node:assert/strict";
import { test } from "node:test";
import { tasks } from "../src/evaluate/tasks/registry.js";
import {
  describeMetric,
  describeMetrics,
  judgeChange,
  languageName,
  sideNames,
  taskEntriesOfRecipe,
} from "../src/evaluate/metric-descriptions.js";
import { summaryTable, wantsColour } from "../src/recipes/summary.js";
import { runHeadline } from "../src/report/described-metrics.js";
import { formatDifference, formatNumber } from "../src/util/format.js";

test("one number format: shares in percent, correlations to three places, small errors never as zeros", () => {
  assert.equal(formatNumber(0.3, "%"), "30.0%");
  assert.equal(formatNumber(0.06, "%"), "6.0%");
  assert.equal(formatNumber(1 / 150, "%"), "0.67%");
  assert.equal(formatNumber(0, "%"), "0.0%");
  assert.equal(formatNumber(0.46213, "correlation"), "0.462");
  assert.equal(formatNumber(-0.05, "correlation"), "-0.050");
  assert.equal(formatNumber(0.000231, "squared-error"), "2.31e-4");
  assert.equal(formatNumber(0.0123, "squared-error"), "0.0123");
  assert.equal(formatNumber(0, "squared-error"), "0");
  assert.equal(formatNumber(150, "count"), "150");
  assert.equal(formatNumber(1.00043, "threshold"), "1.0004");
  // No unit (a metric no task describes): as before, but a small value still shows its digits.
  assert.equal(formatNumber(0.5), "0.5000");
  assert.equal(formatNumber(0.00001), "1.00e-5");
  assert.equal(formatNumber(1234.5), "1234.5");
  assert.equal(formatDifference(0.24, "%"), "+24.0 pts");
  assert.equal(formatDifference(-0.03, "%"), "−3.0 pts");
  assert.equal(formatDifference(-0.00019, "squared-error"), "−1.90e-4");
  assert.equal(formatDifference(0, "correlation"), "±0.000");
});

test("a task's languages come from its columns, its files' extensions or its name; source and target otherwise", () => {
  assert.equal(languageName("de"), "German");
  assert.equal(languageName("jpn"), "Japanese");
  assert.equal(languageName("tsv"), undefined);
  assert.deepEqual(sideNames({ name: "x", data: { columns: { source: "en", target: "de" } } }), {
    source: "English",
    target: "German",
  });
  assert.deepEqual(
    sideNames({
      name: "tatoeba-jpn",
      data: { files: { source: "t/tatoeba.jpn-eng.eng", target: "t/tatoeba.jpn-eng.jpn" } },
    }),
    { source: "English", target: "Japanese" },
  );
  assert.deepEqual(sideNames({ name: "en-ja-mse", data: { file: "test.tsv", columns: { source: 0, target: 1 } } }), {
    source: "English",
    target: "Japanese",
  });
  assert.deepEqual(sideNames({ name: "heldout", data: { file: "pairs.tsv" } }), { source: "source", target: "target" });
  assert.deepEqual(sideNames(undefined), { source: "source", target: "target" });
});

test("a metric's description: name for the data, unit, direction, n and chance", () => {
  const spec = { name: "tatoeba", data: { files: { source: "a.eng", target: "a.deu" } } };
  const retrieval = describeMetric("tatoeba/source_to_target", { type: "retrieval", spec, n: 150 });
  assert.deepEqual(retrieval, {
    metric: "tatoeba/source_to_target",
    task: "tatoeba",
    type: "retrieval",
    name: "top-1 retrieval accuracy, English → German",
    description: "top-1 retrieval accuracy, source → target",
    unit: "%",
    better: "higher",
    n: 150,
    chance: 1 / 150,
    count: false,
  });
  assert.equal(
    describeMetric("tatoeba/target_to_source", { type: "retrieval", spec }).name,
    "top-1 retrieval accuracy, German → English",
  );
  assert.equal(describeMetric("tatoeba/source_to_target").chance, undefined, "no chance level without n");
  assert.equal(describeMetric("tatoeba/pairs", { type: "retrieval" }).count, true);
  // STS: chance is no correlation, whatever n; a task named as its type needs no recipe.
  assert.deepEqual([describeMetric("sts/spearman").chance, describeMetric("sts/spearman").unit], [0, "correlation"]);
  const threshold = describeMetric("bucc/threshold", { type: "mining" });
  assert.deepEqual([threshold.better, threshold.unit, judgeChange(threshold, 0.3)], ["none", "threshold", "none"]);
  assert.match(threshold.name, /threshold/);
  assert.equal(
    describeMetric("en-de-mse/mse_target", { type: "mse" }).name,
    "mean squared error to the teacher, German sentences (against its English vectors)",
  );
  assert.equal(judgeChange(describeMetric("d/mse_source", { type: "mse" }), -0.1), "better");
  // A metric no task declares keeps its own name and the direction its name tells.
  const loss = describeMetric("objective/loss");
  assert.deepEqual([loss.name, loss.unit, loss.count], ["loss", undefined, false]);
  // Every registered task describes each of its metrics (a task without names or units falls back to its description).
  for (const task of tasks) {
    for (const metric of Object.keys(task.metrics)) {
      const described = describeMetric(`${task.name}/${metric}`, { n: 10 });
      assert.ok(
        described.name.length > 0 && described.better === task.metrics[metric]!.better,
        `${task.name}/${metric}`,
      );
      // Errors and shares can be tiny; correlations and thresholds are read to fixed places.
      if (described.unit === "%" || described.unit === "squared-error" || described.unit === undefined)
        assert.doesNotMatch(
          formatNumber(1e-5, described.unit),
          /^0\.0+%?$/,
          `${task.name}/${metric}: a small value shows`,
        );
    }
  }
});

test("a step's metrics take n from their task's count, or from the rows given", () => {
  const recipe = {
    steps: [
      {
        name: "student",
        evaluation: [
          { task: "retrieval", name: "en-de", data: { columns: { source: "en", target: "de" } } },
          { task: "sts", name: "dev" },
        ],
      },
    ],
  };
  const entries = taskEntriesOfRecipe(recipe).get("student")!;
  const described = describeMetrics({ "en-de/accuracy": 0.3, "en-de/pairs": 150, "dev/spearman": 0.5 }, entries);
  assert.deepEqual(
    described.map((entry) => [entry.metric, entry.n, entry.count]),
    [
      ["en-de/accuracy", 150, false],
      ["en-de/pairs", 150, true],
      ["dev/spearman", undefined, false],
    ],
  );
  assert.equal(describeMetrics({ spearman: 0.5 }, new Map([["", { type: "sts" }]]), 1379)[0]!.n, 1379);
});

test("the run summary marks changes ▲ better, ▼ worse by each metric's direction, green and red only with colour on", () => {
  const results = [
    {
      step: "student",
      kind: "training",
      before: {
        "en-de/source_to_target": 0.06,
        "en-de/target_to_source": 0.05,
        "en-de/pairs": 150,
        "mse/mse_source": 0.00031,
        "bucc/threshold": 1.0004,
        "bucc/f1": 0.2,
      },
      after: {
        "en-de/source_to_target": 0.3,
        "en-de/target_to_source": 0.02,
        "en-de/pairs": 150,
        "mse/mse_source": 0.00012,
        "bucc/threshold": 1.02,
        "bucc/f1": 0.2,
      },
      seconds: 3,
    },
  ];
  const types = new Map([
    [
      "student",
      new Map([
        ["en-de", "retrieval"],
        ["mse", "mse"],
        ["bucc", "mining"],
      ]),
    ],
  ]);
  const tasks = new Map([
    ["student", new Map([["en-de", { spec: { name: "en-de", data: { columns: { source: "en", target: "de" } } } }]])],
  ]);
  const plain = summaryTable(results, types, { tasks, colour: false }).split("\n");
  assert.match(plain[0]!, /^step\s+metric\s+n\s+chance\s+before\s+after\s+change$/);
  assert.match(
    plain[2]!,
    /en-de: top-1 retrieval accuracy, English → German \*\s+150\s+0\.67%\s+6\.0%\s+30\.0%\s+▲ \+24\.0 pts$/,
  );
  assert.match(plain[3]!, /German → English\s+150\s+0\.67%\s+5\.0%\s+2\.0%\s+▼ −3\.0 pts$/);
  assert.match(
    plain[4]!,
    /mse: mean squared error to the teacher, source sentences\s+3\.10e-4\s+1\.20e-4\s+▲ −1\.90e-4$/,
    "lower is better for an error",
  );
  assert.match(plain[5]!, /bucc: mining threshold .*\s1\.0004\s+1\.0200$/, "a threshold: no mark, no change");
  assert.match(plain[6]!, /bucc: bitext mining F1, source–target\s+20\.0%\s+20\.0%\s+= ±0\.0 pts$/);
  assert.ok(!plain.some((line) => line.includes("pairs") && !line.includes("*")), "the count is n, not a row");
  assert.ok(!plain.join("\n").includes("\u001b"), "no escape codes with colour off");

  const coloured = summaryTable(results, types, { tasks, colour: true }).split("\n");
  assert.ok(coloured[2]!.endsWith("\u001b[32m▲ +24.0 pts\u001b[39m"), JSON.stringify(coloured[2]));
  assert.ok(coloured[3]!.endsWith("\u001b[31m ▼ −3.0 pts\u001b[39m"), JSON.stringify(coloured[3]));
  assert.ok(
    !coloured[5]!.includes("\u001b") && !coloured[6]!.includes("\u001b"),
    "no colour for a threshold or an unchanged score",
  );
  // The columns line up as without colour: escape codes are added after padding.
  assert.deepEqual(
    coloured.map((line) => line.replace(new RegExp(`${String.fromCharCode(27)}\\[\\d+m`, "g"), "")),
    plain,
  );
});

test("colour only for a terminal, and never with NO_COLOR or FORCE_COLOR=0", () => {
  const saved = { NO_COLOR: process.env.NO_COLOR, FORCE_COLOR: process.env.FORCE_COLOR, TERM: process.env.TERM };
  try {
    delete process.env.FORCE_COLOR;
    delete process.env.NO_COLOR;
    process.env.TERM = "xterm-256color";
    assert.equal(wantsColour({ isTTY: true }), true);
    assert.equal(wantsColour({ isTTY: false }), false, "a pipe or file gets no colour");
    process.env.NO_COLOR = "1";
    assert.equal(wantsColour({ isTTY: true }), false);
    delete process.env.NO_COLOR;
    process.env.FORCE_COLOR = "0";
    assert.equal(wantsColour({ isTTY: true }), false, "src/cli/colour.ts's decision holds");
    process.env.FORCE_COLOR = "1";
    assert.equal(wantsColour({ isTTY: false }), true, "a FORCE_COLOR the user set wins");
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
});

test("the report's headline: the deciding metric of the last step trained, in words, falling or unfinished alike", () => {
  const tasks = new Map([
    ["s", new Map([["d", { type: "mse", spec: { name: "d", data: { columns: { source: "en", target: "de" } } } }]])],
  ]);
  const fell = [
    {
      step: "s",
      kind: "training",
      before: { "d/mse_target": 0.0005, "d/mse_source": 0.0003 },
      after: { "d/mse_target": 0.0004, "d/mse_source": 0.0001 },
      seconds: 1,
    },
  ];
  assert.equal(
    runHeadline(fell, tasks),
    "In step s, d's mean squared error to the teacher, English sentences fell from 3.00e-4 to 1.00e-4.",
    "mse's primary metric, not the first logged",
  );
  const unfinished = [{ ...fell[0]!, partial: { trainingStep: 50 } }];
  assert.match(runHeadline(unfinished, tasks)!, /fell from 3\.00e-4 to 1\.00e-4 by training step 50 \(unfinished\)\.$/);
  assert.equal(runHeadline([{ step: "s", kind: "training", after: {}, seconds: 1 }], tasks), undefined);
});
