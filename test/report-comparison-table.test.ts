import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { methodComparison } from "../src/report/comparison-table.js";
import { stepTasksOfRecipe } from "../src/report/described-metrics.js";
import { loadRunData, runReportHtml, type StepSummary } from "../src/report/index.js";

let work: string;
before(async () => {
  work = await mkdtemp(path.join(tmpdir(), "babelbed-comparison-table-"));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

const tasks = `
      - { task: sts, name: stsb-dev, data: { kind: scored-pairs, file: sts.tsv, format: tsv } }
      - { task: alignment-uniformity, name: stsb-dev-au, data: { kind: scored-pairs, file: sts.tsv, format: tsv } }`;

/** A run directory as `recipes/sentence-embeddings.yaml` leaves it: methods side by side, evaluated on the same tasks. */
async function methodsRun(directory: string, results: StepSummary[]): Promise<void> {
  await rm(directory, { recursive: true, force: true });
  await import("node:fs/promises").then((fs) => fs.mkdir(directory, { recursive: true }));
  const steps = results.map((result) =>
    result.kind === "training"
      ? `  - step: train-teacher\n    name: ${result.step}\n    evaluation:${tasks}`
      : `  - step: evaluate\n    name: ${result.step}\n    tasks:${tasks}`,
  );
  await writeFile(path.join(directory, "recipe.resolved.yaml"), `name: methods\nsteps:\n${steps.join("\n")}\n`);
  await writeFile(path.join(directory, "summary.json"), JSON.stringify({ recipe: "methods", results }));
}

const scores = (spearman: number, uniformity: number, anisotropy: number) => ({
  "stsb-dev/spearman": spearman,
  "stsb-dev-au/uniformity": uniformity,
  "stsb-dev-au/anisotropy": anisotropy,
  "stsb-dev-au/positive_pairs": 120,
});

const methods: StepSummary[] = [
  // Pre-training evaluates nothing: no row.
  { step: "pretrained", kind: "training", after: {}, seconds: 3 },
  { step: "bert-avg", kind: "evaluate", after: { ...scores(0.41, -1.2, 0.93), "stsb-dev/pearson": 0.4 }, seconds: 1 },
  { step: "whitening", kind: "evaluate", after: scores(0.55, -3.1, 0.01), seconds: 1 },
  {
    step: "simcse",
    kind: "training",
    before: scores(0.41, -1.2, 0.93),
    after: { ...scores(0.68, -2.4, 0.2), "stsb-dev/pearson": 0.66 },
    seconds: 30,
  },
];

test("a run of methods shows them side by side: final values, shared metrics, the best marked by direction", async () => {
  const directory = path.join(work, "methods");
  await methodsRun(directory, methods);
  const run = await loadRunData(directory);
  const comparison = methodComparison(run.results, stepTasksOfRecipe(run.recipeText))!;
  assert.deepEqual(
    comparison.rows.map((row) => row.step),
    ["bert-avg", "whitening", "simcse"],
    "a row per step with metrics",
  );
  assert.deepEqual(
    comparison.columns.map((column) => column.metric),
    ["stsb-dev/spearman", "stsb-dev-au/uniformity", "stsb-dev-au/anisotropy", "stsb-dev/pearson"],
    "a column per metric two steps share, in the order met; counts (positive_pairs) are no column",
  );
  assert.deepEqual(comparison.rows[2]!.values, [0.68, -2.4, 0.2, 0.66], "a trained step's values after training");
  assert.deepEqual(comparison.rows[1]!.values.at(-1), undefined, "a metric a step lacks is empty");
  assert.deepEqual(comparison.best, [0.68, -3.1, 0.01, 0.66], "spearman higher, uniformity and anisotropy lower");

  const html = runReportHtml(run);
  const table = html.match(/<table class="comparison">[\s\S]*?<\/table>/)?.[0];
  assert.ok(table !== undefined, "the report has the comparison table");
  assert.ok(html.indexOf("Steps compared") < html.indexOf("<h2>Metrics</h2>"), "before the per-step metrics");
  const rows = table.match(/<tr>[\s\S]*?<\/tr>/g)!;
  assert.equal(rows.length, 4, "a header and three steps");
  // Human names in the headers, the key beside, the direction marked.
  assert.match(
    rows[0]!,
    /stsb-dev: Spearman correlation with gold similarity scores ↑ <span class="key">stsb-dev\/spearman<\/span>/,
  );
  assert.match(rows[0]!, /stsb-dev-au: [^<]*↓ <span class="key">stsb-dev-au\/uniformity<\/span>/);
  // One number format (correlations to three places); the best of a column starred, whichever way is better.
  assert.match(
    rows[1]!,
    /<td class="step">bert-avg<\/td><td class="number">0\.410<\/td><td class="number">-1\.2000<\/td>/,
  );
  assert.match(
    rows[2]!,
    /<td class="number best">★ -3\.1000<\/td><td class="number best">★ 0\.0100<\/td><td class="number missing">—<\/td>/,
  );
  assert.match(rows[3]!, /<td class="step">simcse<\/td><td class="number best">★ 0\.680<\/td>/);
  assert.equal((table.match(/★/g) ?? []).length, 4, "one star per column");
});

test("a run with one step of metrics has no comparison table", async () => {
  const directory = path.join(work, "single");
  await methodsRun(directory, methods.slice(0, 2));
  const run = await loadRunData(directory);
  assert.equal(methodComparison(run.results, stepTasksOfRecipe(run.recipeText)), undefined);
  const html = runReportHtml(run);
  assert.doesNotMatch(html, /class="comparison"|Steps compared/);
  // Two steps that share no metric are not compared either.
  await methodsRun(directory, [
    { step: "a", kind: "evaluate", after: { "stsb-dev/spearman": 0.5 }, seconds: 1 },
    { step: "b", kind: "evaluate", after: { "stsb-dev-au/uniformity": -2 }, seconds: 1 },
  ]);
  assert.doesNotMatch(runReportHtml(await loadRunData(directory)), /class="comparison"/);
});

test("evaluation charts name their lines, titles and axes for people, not by metric keys", async () => {
  const directory = path.join(work, "charts");
  await methodsRun(directory, methods);
  const recipe = `name: methods\nsteps:\n  - step: train-teacher\n    name: simcse\n    evaluation:${tasks}\n      - { task: retrieval, name: en-de, data: { kind: parallel, file: test.tsv, format: tsv, columns: { source: en, target: de } } }\n`;
  await writeFile(path.join(directory, "recipe.resolved.yaml"), recipe);
  const lines = [0, 50, 100].map((trainingStep) =>
    JSON.stringify({
      step: "simcse",
      phase: trainingStep === 0 ? "before" : "during",
      trainingStep,
      ...scores(0.4 + trainingStep / 500, -1 - trainingStep / 100, 0.9 - trainingStep / 200),
      "stsb-dev/pearson": 0.5,
      "stsb-dev-au/alignment": 0.3 + trainingStep / 1000,
      "en-de/source_to_target": 0.1 + trainingStep / 300,
      "en-de/target_to_source": 0.12 + trainingStep / 300,
      "en-de/pairs": 150,
    }),
  );
  await writeFile(path.join(directory, "metrics.jsonl"), `${lines.join("\n")}\n`);
  const html = runReportHtml(await loadRunData(directory));
  const captions = [...html.matchAll(/<figcaption>(.*?)<\/figcaption>/g)].map((match) => match[1]);
  assert.deepEqual(captions, [
    "simcse: stsb-dev, Spearman correlation with gold similarity scores",
    "simcse: stsb-dev-au, uniformity / anisotropy / alignment",
    "simcse: en-de, top-1 retrieval accuracy (%)",
  ]);
  const svgs = html.match(/<svg[\s\S]*?<\/svg>/g)!;
  const retrieval = svgs[2]!;
  for (const name of ["top-1 retrieval accuracy, English → German", "top-1 retrieval accuracy, German → English"])
    assert.ok(retrieval.includes(`>${name}<`), `legend names ${name}`);
  assert.ok(retrieval.includes(">top-1 retrieval accuracy (%)<"), "the y-axis titled with its unit");
  assert.ok(svgs[1]!.includes(">distance / cosine, lower is better<"), "one axis for the three");
  // Metrics described only by a sentence keep their papers' names in the legend.
  for (const name of ["alignment", "uniformity", "anisotropy"]) assert.ok(svgs[1]!.includes(`>${name}<`), name);
  for (const key of ["source_to_target", "target_to_source", ">spearman<", ">pearson<"])
    assert.ok(!svgs.some((svg) => svg.includes(key)), `no chart shows the key ${key}`);
  // The notes under the charts name counts and unchanged metrics as the charts do, in the one number format.
  const notes = [...html.matchAll(/<p class="note">((?:Evaluated on|Unchanged through training): .*?)<\/p>/g)].map(
    (match) => match[1],
  );
  assert.deepEqual(notes, [
    "Evaluated on: stsb-dev-au: 120 positive pairs, en-de: 150 test pairs.",
    "Unchanged through training: stsb-dev: Pearson correlation with gold similarity scores = 0.500.",
  ]);
});
