import assert from "node:assert/strict";
import { test } from "node:test";
import { fieldsOfKind } from "../src/data/source.js";
import { metricDirection, taskDescriptor, tasks } from "../src/evaluate/tasks/registry.js";
import { parseRecipe } from "../src/recipes/load.js";
import { stepDescriptor, steps } from "../src/recipes/steps/registry.js";
import { summaryTable } from "../src/recipes/summary.js";
import { changeClass } from "../src/report/html.js";
import { taskTypesByStep } from "../src/report/task-types.js";
import { objectiveDescriptor, objectives } from "../src/train/objectives/registry.js";
import { BabelbedError } from "../src/util/errors.js";

const source = (kind: string) =>
  `{kind: ${kind}, file: rows.tsv, format: tsv, header: true${kind === "scored-pairs" ? ", scoreRange: [0, 5]" : ""}}`;

/** A recipe with one train-teacher step around the given objective and evaluation task lines. */
function teacherRecipe(objective: string, task: string): string {
  return [
    "name: registries",
    "steps:",
    "  - step: train-teacher",
    "    name: teacher",
    "    model: {from: some-model}",
    "    objectives:",
    `      - ${objective}`,
    "    evaluation:",
    `      - ${task}`,
  ].join("\n");
}

const stsTask = `{task: sts, name: held-out, data: ${source("scored-pairs")}}`;
const regression = `{type: regression, data: ${source("scored-pairs")}}`;
/** The required fields besides data that a task or objective needs to parse. */
const required: Record<string, string> = { mse: ", teacher: some-teacher" };

function parseError(text: string): string {
  try {
    parseRecipe(text, "r.yaml");
  } catch (error) {
    assert.ok(error instanceof BabelbedError, String(error));
    return error.message;
  }
  assert.fail("the recipe parsed");
}

test("every objective descriptor names its type, row kind, texts, options and build; the registry finds it", () => {
  assert.deepEqual(
    objectives.map((objective) => objective.type),
    ["classification", "regression", "triplet", "simcse", "multiple-negatives", "multiple-negatives-nli"],
  );
  for (const objective of objectives) {
    assert.ok(objective.rowKind in fieldsOfKind, `${objective.type}: row kind ${objective.rowKind}`);
    assert.equal(typeof objective.texts, "function");
    assert.equal(typeof objective.build, "function");
    assert.equal(typeof objective.options, "object");
    assert.equal(objectiveDescriptor(objective.type), objective);
  }
  // The texts are the text fields of a row of the objective's kind, in order.
  const row = {
    file: "f",
    line: 1,
    premise: "p",
    hypothesis: "h",
    label: "neutral",
    sentence1: "a",
    sentence2: "b",
    score: 0.5,
    anchor: "x",
    positive: "y",
    negative: "z",
  };
  assert.deepEqual(objectiveDescriptor("classification").texts(row as never), ["p", "h"]);
  assert.deepEqual(objectiveDescriptor("regression").texts(row as never), ["a", "b"]);
  assert.deepEqual(objectiveDescriptor("triplet").texts(row as never), ["x", "y", "z"]);
  assert.deepEqual(objectiveDescriptor("simcse").texts({ ...row, text: "t" } as never), ["t"]);
  assert.deepEqual(objectiveDescriptor("multiple-negatives").texts(row as never), ["x", "y", "z"]);
  assert.deepEqual(objectiveDescriptor("multiple-negatives-nli").texts(row as never), ["p", "h"]);
});

test("every task descriptor declares its data, metrics (described, with a direction) and a primary metric among them", () => {
  assert.deepEqual(
    tasks.map((task) => task.name),
    ["sts", "retrieval", "mining", "mse", "alignment-uniformity"],
  );
  for (const task of tasks) {
    assert.ok(task.dataKind in fieldsOfKind);
    assert.ok("data" in task.fields, `${task.name} reads data`);
    assert.ok(task.sources.includes("data"));
    assert.ok(task.metrics[task.primary] !== undefined, `${task.name}: primary ${task.primary} is one of its metrics`);
    assert.notEqual(task.metrics[task.primary]!.better, "none", `${task.name}: the primary metric is a score`);
    for (const [name, metric] of Object.entries(task.metrics)) {
      assert.ok(
        metric.description.length > 10 && !metric.description.includes("\n"),
        `${task.name}/${name}: a one-line description`,
      );
      assert.ok(["higher", "lower", "none"].includes(metric.better));
    }
    assert.equal(taskDescriptor(task.name), task);
  }
  assert.equal(taskDescriptor("mse").metrics.mse_source!.better, "lower");
  assert.equal(taskDescriptor("mse").metrics.mse_target!.better, "lower");
  assert.equal(taskDescriptor("sts").metrics.spearman!.better, "higher");
  assert.equal(taskDescriptor("retrieval").metrics.pairs!.better, "none");
  assert.equal(taskDescriptor("mining").metrics.threshold!.better, "none");
});

test("every step descriptor has its name, a schema for that name and a run", () => {
  assert.deepEqual(
    steps.map((step) => step.step),
    ["train-teacher", "distill", "pretrain", "dual-encoder", "evaluate", "export", "whiten", "flow"],
  );
  for (const step of steps) {
    assert.equal(typeof step.run, "function");
    assert.equal(stepDescriptor(step.step), step);
    // The schema is the step's own: it refuses a spec of another step.
    assert.equal(step.schema.safeParse({ step: "no-such-step", name: "a" }).success, false);
  }
  assert.equal(
    stepDescriptor("export").schema.safeParse({ step: "export", name: "a", model: "m", output: "out" }).success,
    true,
  );
});

test("the recipe schema accepts each registered objective and task, and names them all for an unknown one", () => {
  for (const objective of objectives) {
    const text = teacherRecipe(`{type: ${objective.type}, data: ${source(objective.rowKind)}}`, stsTask);
    assert.equal(parseRecipe(text, "r.yaml").steps[0]!.step, "train-teacher", objective.type);
  }
  for (const task of tasks) {
    const text = teacherRecipe(
      regression,
      `{task: ${task.name}, name: t, data: ${source(task.dataKind)}${required[task.name] ?? ""}}`,
    );
    const step = parseRecipe(text, "r.yaml").steps[0] as { evaluation: { task: string }[] };
    assert.equal(step.evaluation[0]!.task, task.name);
  }
  const unknownObjective = parseError(teacherRecipe(`{type: contrastive, data: ${source("parallel")}}`, stsTask));
  assert.match(unknownObjective, /^r\.yaml:7: field steps\.0\.objectives\.0\.type: /);
  for (const objective of objectives) assert.ok(unknownObjective.includes(`'${objective.type}'`), unknownObjective);
  const unknownTask = parseError(teacherRecipe(regression, `{task: isotropy, name: t, data: ${source("parallel")}}`));
  assert.match(unknownTask, /^r\.yaml:9: field steps\.0\.evaluation\.0\.task: /);
  for (const task of tasks) assert.ok(unknownTask.includes(`'${task.name}'`), unknownTask);
  // An objective's own options keep their defaults and checks.
  const triplet = parseRecipe(teacherRecipe(`{type: triplet, data: ${source("triplets")}}`, stsTask), "r.yaml")
    .steps[0] as unknown as { objectives: { margin: number }[] };
  assert.equal(triplet.objectives[0]!.margin, 1);
  assert.match(
    parseError(teacherRecipe(`{type: regression, data: ${source("scored-pairs")}, margin: 2}`, stsTask)),
    /objectives\.0: Unrecognized key: "margin"/,
  );
});

test("the recipe schema accepts each registered step and names them all for an unknown one", () => {
  const specs: Record<string, string> = {
    "train-teacher": `{step: train-teacher, name: s, model: {from: m}, objectives: [${regression}]}`,
    distill: `{step: distill, name: s, teacher: t, student: {from: m}, data: [${source("parallel")}]}`,
    pretrain: `{step: pretrain, name: s, model: {fresh: {hiddenSize: 8, layers: 1, heads: 2, intermediateSize: 16, vocabulary: {size: 100}}}, data: [${source("parallel")}], stages: [{layers: 1, steps: 2}]}`,
    "dual-encoder": `{step: dual-encoder, name: s, model: {from: m}, data: [${source("parallel")}]}`,
    evaluate: `{step: evaluate, name: s, model: m, tasks: [${stsTask}]}`,
    export: "{step: export, name: s, model: m, output: out}",
    whiten: `{step: whiten, name: s, model: m, data: ${source("sentences")}, dimensions: 4}`,
    flow: `{step: flow, name: s, model: m, data: ${source("sentences")}}`,
  };
  assert.deepEqual(
    Object.keys(specs).sort(),
    steps.map((step) => step.step).sort(),
    "a spec for every registered step",
  );
  for (const step of steps)
    assert.equal(parseRecipe(`name: r\nsteps:\n  - ${specs[step.step]}\n`, "r.yaml").steps[0]!.step, step.step);
  const unknown = parseError("name: r\nsteps:\n  - {step: smooth, name: s}\n");
  assert.match(unknown, /^r\.yaml:3: field steps\.0\.step: /);
  for (const step of steps) assert.ok(unknown.includes(`'${step.step}'`), unknown);
});

test("which way a run's metric improves comes from its task's type, whatever the task is named", () => {
  const recipe = [
    "name: r",
    "steps:",
    "  - step: evaluate",
    "    name: check",
    "    model: m",
    "    tasks:",
    "      - {task: mse, name: de-teacher, teacher: t, data: {kind: parallel, file: a.tsv, format: tsv}}",
  ].join("\n");
  const types = taskTypesByStep(recipe).get("check")!;
  assert.equal(types.get("de-teacher"), "mse");
  assert.equal(metricDirection("de-teacher/mse_source", types), "lower");
  assert.equal(changeClass("de-teacher/mse_source", -0.1, types), "better");
  assert.equal(changeClass("de-teacher/mse_source", 0.1, types), "worse");
  assert.equal(metricDirection("sts/spearman"), "higher");
  assert.equal(changeClass("sts/spearman", 0.1), "better");
  // A task named neither as its type nor with a recipe: a metric name that one task alone reports still tells.
  assert.equal(metricDirection("tatoeba/source_to_target"), "higher");
  // A mining threshold is no score: its change is not coloured.
  assert.equal(changeClass("bucc/threshold", 0.2, new Map([["bucc", "mining"]])), "same");
  // Names no task declares keep the old rule: losses fall.
  assert.equal(changeClass("objective/loss", -1), "better");
});

test("the summary stars the metric that keeps the best model and shows no change for counts", () => {
  const results = [
    {
      step: "student",
      kind: "training",
      before: { "dev/mse_source": 0.5, "ret/pairs": 10 },
      after: { "dev/mse_source": 0.2, "ret/pairs": 10 },
      seconds: 1,
    },
  ];
  const types = new Map([
    [
      "student",
      new Map([
        ["dev", "mse"],
        ["ret", "retrieval"],
      ]),
    ],
  ]);
  const lines = summaryTable(results, types, { colour: false }).split("\n");
  assert.match(
    lines[2]!,
    /^student\s+dev: mean squared error to the teacher, source sentences \*\s+0\.500\s+0\.200\s+▲ −0\.300$/,
  );
  assert.equal(lines.length, 4, "a count is no row: it is the n of its task's metrics");
  assert.match(lines.at(-1)!, /^\* decides which model/);
});
