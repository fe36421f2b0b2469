import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { loadRecipe } from "../src/recipes/load.js";
import { runRecipe } from "../src/recipes/run.js";
import {
  comparisonReportHtml,
  loadRunData,
  runReportHtml,
  writeRunReport,
  type StepSummary,
} from "../src/report/index.js";
import { recipeDifferences } from "../src/report/recipe-difference.js";
import { runningMean, thin, type Point } from "../src/report/series.js";
import { useBackend } from "./helpers/backends.js";
import { launchChromium, skipWithoutChromium } from "./helpers/browser.js";
import { babelbed } from "./helpers/cli.js";
import { fixturesRoot, repositoryRoot, skipWithoutFixtures } from "./helpers/fixtures.js";

let work: string;
before(async () => {
  work = await mkdtemp(path.join(tmpdir(), "babelbed-report-"));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

interface SyntheticRun {
  name: string;
  /** Scales the losses and metrics, so that two runs differ. */
  quality: number;
  finished: boolean;
  /** The student's learning rate in the recipe, so that two recipes differ in one setting. */
  learningRate?: number;
}

const start = Date.parse("2025-03-01T10:00:00Z");
const at = (seconds: number) => new Date(start + seconds * 1000).toISOString();

/**
 * A run directory as `babelbed run` leaves it: a teacher with two objectives taken in turn and
 * evaluated every 40 steps, interrupted and resumed (the second invocation repeats steps 81–90), a
 * student grown from 1 to 2 layers at step 101 (as pre-training stacks), a line cut short by a
 * crash at the end, and (when finished) summary.json.
 */
async function syntheticRun(directory: string, run: SyntheticRun): Promise<void> {
  await mkdir(directory, { recursive: true });
  const lines: unknown[] = [];
  const device = {
    device: "wasm",
    backend: "wasm",
    threads: 2,
    versions: { node: "20.0.0" },
    notes: ["SIMD"],
    reasons: [],
    registeredKernels: [],
  };
  lines.push({ time: at(0), event: "run-start", recipe: run.name, resume: false, device });
  const evaluation = (step: string, phase: string, trainingStep: number, seconds: number) => {
    const gain = run.quality * Math.min(1, trainingStep / 120);
    return {
      time: at(seconds),
      step,
      phase,
      trainingStep,
      "en-sts/spearman": 0.3 + 0.4 * gain,
      "en-sts/pearson": 0.32 + 0.35 * gain,
      "en-de/accuracy": 0.1 + 0.5 * gain,
      "en-de/pairs": 150,
    };
  };
  const teacherLoss = (step: number, objective: string) =>
    (objective === "classification" ? 1.1 - 0.4 * run.quality * (step / 120) : 0.3 - 0.2 * (step / 120)) +
    0.05 * Math.sin(step * 1.7);
  lines.push(evaluation("teacher", "before", 0, 2));
  for (let step = 1; step <= 90; step++) {
    const objective = step % 2 === 1 ? "classification" : "regression";
    lines.push({
      time: at(2 + step * 0.5),
      step: "teacher",
      trainingStep: step,
      epoch: 0,
      objective,
      loss: teacherLoss(step, objective),
      learningRate: 1e-4,
      gradientNorm: 1,
    });
    if (step % 40 === 0) lines.push(evaluation("teacher", "during", step, 3 + step * 0.5));
  }
  lines.push({
    time: at(60),
    event: "run-end",
    status: "interrupted",
    error: "interrupted during step teacher",
    seconds: 60,
  });
  // --resume: from the checkpoint at step 80, so steps 81–90 are logged again.
  lines.push({ time: at(100), event: "run-start", recipe: run.name, resume: true, device });
  for (let step = 81; step <= 120; step++) {
    const objective = step % 2 === 1 ? "classification" : "regression";
    lines.push({
      time: at(100 + (step - 80) * 0.5),
      step: "teacher",
      trainingStep: step,
      epoch: 1,
      objective,
      loss: teacherLoss(step, objective),
      learningRate: 1e-4,
      gradientNorm: 1,
    });
  }
  lines.push(evaluation("teacher", "after", 120, 121));
  lines.push({ time: at(122), event: "teacher-cache", teacher: "x", sentences: 10, computed: 10 });
  lines.push(evaluation("student", "before", 0, 123));
  for (let step = 1; step <= 200; step++) {
    lines.push({
      time: at(124 + step * 0.25),
      step: "student",
      trainingStep: step,
      epoch: 0,
      objective: "distillation",
      loss: 0.5 * Math.exp((-step * run.quality) / 60) + 0.02 * Math.cos(step),
      learningRate: 1e-3,
      gradientNorm: 1,
      layers: step <= 100 ? 1 : 2,
    });
  }
  if (run.finished) {
    lines.push(evaluation("student", "after", 120, 180));
    lines.push({ time: at(180.5), step: "scores", phase: "evaluate", "en-sts/spearman": 0.4321 }); // an evaluate step: no training step
    lines.push({ time: at(181), event: "run-end", status: "finished", seconds: 81 });
  }
  const text = `${lines.map((line) => JSON.stringify(line)).join("\n")}\n`;
  await writeFile(
    path.join(directory, "metrics.jsonl"),
    `${text}{"time":"2025-03-01T10:03:02Z","step":"student","trainingSt`,
  );
  const metrics = (record: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(record).filter(([, value]) => typeof value === "number" && value !== record.trainingStep),
    ) as Record<string, number>;
  const completed: StepSummary[] = [
    {
      step: "teacher",
      kind: "training",
      before: metrics(evaluation("teacher", "before", 0, 0)),
      after: metrics(evaluation("teacher", "after", 120, 0)),
      seconds: 78.5,
    },
  ];
  if (run.finished) {
    completed.push({
      step: "student",
      kind: "training",
      before: metrics(evaluation("student", "before", 0, 0)),
      after: metrics(evaluation("student", "after", 120, 0)),
      seconds: 57.25,
    });
    completed.push({ step: "scores", kind: "evaluate", after: { "en-sts/spearman": 0.4321 }, seconds: 0.5 });
    await writeFile(path.join(directory, "summary.json"), JSON.stringify({ recipe: run.name, results: completed }));
  }
  await writeFile(path.join(directory, "state.json"), JSON.stringify({ completed, started: {} }));
  await writeFile(
    path.join(directory, "recipe.resolved.yaml"),
    `# resolved from ${run.name}.yaml\nname: ${run.name}\nseed: 42\nnote: "<script>alert(1)</script> & more"\nsteps:\n  - step: distill\n    name: student\n    training: { epochs: 2, learningRate: ${run.learningRate ?? 1e-3} }\n    evaluation:\n      - { task: retrieval, name: en-de, data: { kind: parallel, file: test.tsv, format: tsv, header: true, columns: { source: en, target: de } } }\n      - { task: sts, name: en-sts, data: { kind: scored-pairs, file: sts.tsv, format: tsv, scoreRange: [0, 5] } }\n`,
  );
}

/** The numbers of every `M`/`L` point in an SVG path's `d`. */
function pathPoints(svg: string): number[] {
  return [...svg.matchAll(/<path d="([^"]+)"/g)].map((match) => (match[1]!.match(/[ML]/g) ?? []).length);
}

test("a running mean follows the trend, and thinning keeps the ends", () => {
  const points: Point[] = Array.from({ length: 100 }, (_, index) => [index, index % 2 === 0 ? 1 : 3]);
  const smooth = runningMean(points, 5);
  assert.equal(smooth.length, 100);
  assert.ok(
    smooth.slice(2, -2).every(([, y]) => y > 1.5 && y < 2.5),
    "the alternation averages out",
  );
  assert.deepEqual(smooth[0], [0, (1 + 3 + 1) / 3], "the window shrinks at the ends");
  const many: Point[] = Array.from({ length: 10_000 }, (_, index) => [index, index]);
  const kept = thin(many, 1500);
  assert.ok(kept.length <= 1501 && kept.length >= 1500);
  assert.deepEqual([kept[0], kept.at(-1)], [many[0], many.at(-1)]);
});

test("a report of a run directory shows the table values and one SVG chart per curve, with data points", async () => {
  const directory = path.join(work, "unit");
  await syntheticRun(directory, { name: "synthetic", quality: 1, finished: true });
  const run = await loadRunData(directory);
  assert.equal(run.skippedLines, 1, "the line cut short is skipped");
  assert.equal(run.status, "finished");
  assert.equal(run.segments.length, 2);
  assert.equal(
    run.training.filter((point) => point.step === "teacher").length,
    120,
    "steps repeated after --resume count once",
  );
  assert.deepEqual(run.steps, ["teacher", "student", "scores"]);
  assert.deepEqual(run.evaluations.find((point) => point.step === "scores")?.metrics, { "en-sts/spearman": 0.4321 });

  const html = runReportHtml(run);
  // Table values, as src/recipes/summary.ts prints them, and the change coloured.
  const teacher = run.results[0]!;
  for (const value of [teacher.before!["en-de/accuracy"]!, teacher.after["en-de/accuracy"]!])
    assert.ok(html.includes(`${(value * 100).toFixed(1)}%`), `table has ${value} in percent`);
  assert.match(
    html,
    /<td class="number better">▲ \+50\.0 pts<\/td>/,
    "accuracy gain of 50 percentage points in green, marked",
  );
  // The metric by its name for people (languages from the recipe's columns), n from the count, chance 1/n.
  assert.match(
    html,
    /<td class="">en-de: top-1 retrieval accuracy, English ↔ German \(mean of both directions\) <span class="key">en-de\/accuracy<\/span><\/td><td class="number">150<\/td><td class="number">0\.67%<\/td><td class="number">10\.0%<\/td><td class="number">60\.0%<\/td>/,
  );
  assert.match(
    html,
    /en-sts: Spearman correlation with gold similarity scores <span class="key">en-sts\/spearman<\/span><\/td><td class="number"><\/td><td class="number">0\.000<\/td><td class="number">0\.300<\/td><td class="number">0\.700<\/td>/,
  );
  assert.doesNotMatch(html, /<span class="key">en-de\/pairs/, "a count is n, not a metric");
  // The headline: the last trained step's deciding metric (its first task's), before → after, with n and chance.
  assert.ok(
    html.includes(
      '<p class="headline">In step student, en-de&#39;s top-1 retrieval accuracy, English ↔ German (mean of both directions) rose from 10.0% to 60.0% of 150 pairs; chance is 0.67%.</p>',
    ),
    html.match(/<p class="headline">.*?<\/p>/)?.[0],
  );
  // Charts: a loss chart per training step, one per task of each trained step's evaluations.
  const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
  assert.equal(svgs.length, 2 + 2 + 2, "teacher and student loss, en-sts and en-de for each");
  const [teacherLoss] = svgs;
  assert.ok(
    Math.max(...pathPoints(teacherLoss!)) >= 60,
    "the smoothed loss line of each objective has a point per logged step",
  );
  assert.equal(
    (teacherLoss!.match(/ecmeta_data_index="\d+" ecmeta_ssr_type="chart"/g) ?? []).length,
    120,
    "a dot per logged teacher step",
  );
  assert.match(html, /Evaluated on: en-de: 150 test pairs\b/, "a count is listed, not drawn");
  assert.match(svgs[3]!, />2 layers</, "progressive stacking's growth is marked on the student's loss");
  // Header facts, timings, and every string from the files escaped.
  assert.match(html, /wasm \(tfjs backend &#34;wasm&#34;, 2 threads\)/);
  assert.match(html, /2 \(resumed 1×\)/);
  assert.match(html, /1 line of metrics.jsonl could not be read/);
  assert.match(html, /2 min 21 s/, "wall time: 60 s before the resume, 81 s after");
  assert.match(html, /0\.500 s/, "seconds per teacher step");
  assert.ok(html.includes("&#60;script&#62;alert(1)&#60;/script&#62; &#38; more"));
  assert.doesNotMatch(html, /<script/i, "the page has no script");
});

test("an interrupted run reports its status, the error, and the unfinished step's latest metrics", async () => {
  const directory = path.join(work, "stopped");
  await syntheticRun(directory, { name: "stopped", quality: 1, finished: false });
  await writeFile(
    path.join(directory, "metrics.jsonl"),
    (await readFile(path.join(directory, "metrics.jsonl"), "utf8")) +
      '\n{"event":"run-end","status":"interrupted","error":"interrupted during step student"}\n',
  );
  const run = await loadRunData(directory);
  assert.equal(run.status, "interrupted");
  const student = run.results.find((result) => result.step === "student")!;
  assert.deepEqual(student.partial, { trainingStep: 200 });
  const html = runReportHtml(run);
  assert.match(html, /class="status interrupted"/);
  assert.match(html, /interrupted during step student/);
  assert.match(html, /student \(unfinished at training step 200\)/);
  assert.match(html, /Step student did not finish: it reached training step 200/);
  // The student logged no evaluation after its "before": the before-metrics show, "after" not reached.
  const beforeValue = `${(student.before!["en-de/accuracy"]! * 100).toFixed(1)}%`;
  assert.ok(
    html.includes(
      `<span class="key">en-de/accuracy</span></td><td class="number">150</td><td class="number">0.67%</td><td class="number">${beforeValue}</td><td class="number missing">not reached</td>`,
    ),
    "before shown, after not reached",
  );
  // The headline falls back to the teacher, the last step evaluated before and after (no tasks in its recipe: its first score).
  assert.match(
    html,
    /<p class="headline">In step teacher, en-sts&#39;s Spearman correlation with gold similarity scores rose from 0\.300 to 0\.700; chance is 0\.000\.<\/p>/,
  );
  assert.doesNotMatch(html, /training: no metrics/);
});

test("recipe differences name each setting by step and path, small numbers as recipes write them", () => {
  const a =
    "name: a\nseed: 42\nsteps:\n  - step: train-teacher\n    name: teacher\n    training: { epochs: 1 }\n  - step: distill\n    name: student\n    training: { learningRate: 1.0e-3, batchSize: 32 }\n    evaluation: [{ task: sts, name: en-sts }]\n";
  const b =
    "name: b\nseed: 42\nsteps:\n  - step: distill\n    name: student\n    training: { learningRate: 3.0e-4, batchSize: 32, maxMinutes: 5 }\n    evaluation: [{ task: sts, name: en-sts }]\n";
  assert.deepEqual(recipeDifferences(a, b), [
    { path: "name", a: "a", b: "b" },
    { path: "teacher.step", a: "train-teacher", b: undefined },
    { path: "teacher.name", a: "teacher", b: undefined },
    { path: "teacher.training.epochs", a: "1", b: undefined },
    { path: "student.training.learningRate", a: "1e-3", b: "3e-4" },
    { path: "student.training.maxMinutes", a: undefined, b: "5" },
  ]);
  assert.equal(recipeDifferences(a, undefined), undefined);
});

test("a missing, foreign or damaged run directory is an error naming the path", async () => {
  await assert.rejects(
    loadRunData(path.join(work, "nowhere")),
    (error: Error) => error.name === "BabelbedError" && error.message.includes(path.join(work, "nowhere")),
  );
  const empty = path.join(work, "empty");
  await mkdir(empty);
  await assert.rejects(loadRunData(empty), /not a run directory/);
  const damaged = path.join(work, "damaged");
  await syntheticRun(damaged, { name: "damaged", quality: 1, finished: true });
  await writeFile(
    path.join(damaged, "summary.json"),
    JSON.stringify({ recipe: "damaged", results: [{ step: "x", kind: "training", after: { a: "high" }, seconds: 1 }] }),
  );
  await assert.rejects(
    loadRunData(damaged),
    (error: Error) => error.message.includes("summary.json") && error.message.includes("results.0.after.a"),
  );
});

test("reports render offline in Chromium, finished, interrupted and compared: charts with their points and titled axes, no horizontal overflow", {
  skip: skipWithoutChromium,
}, async (t) => {
  const directory = path.join(work, "browser");
  await syntheticRun(directory, { name: "browser", quality: 1, finished: true });
  const second = path.join(work, "browser-b");
  await syntheticRun(second, { name: "browser-b", quality: 0.6, finished: true, learningRate: 3e-4 });
  const stopped = path.join(work, "browser-stopped");
  await syntheticRun(stopped, { name: "browser-stopped", quality: 1, finished: false });
  await writeFile(
    path.join(stopped, "metrics.jsonl"),
    (await readFile(path.join(stopped, "metrics.jsonl"), "utf8")) +
      '\n{"event":"run-end","status":"interrupted","error":"interrupted during step student"}\n',
  );
  const comparison = path.join(work, "comparison.html");
  await writeFile(comparison, comparisonReportHtml(await loadRunData(directory), await loadRunData(second)));
  const reports = [
    {
      name: "finished",
      file: await writeRunReport(directory, path.join(work, "finished.html")),
      charts: 6,
      headline: ["browser", "finished"],
      lead: "In step student, en-de's top-1 retrieval accuracy, English ↔ German (mean of both directions) rose from 10.0% to 60.0% of 150 pairs; chance is 0.67%.",
    },
    {
      name: "interrupted",
      file: await writeRunReport(stopped, path.join(work, "interrupted.html")),
      charts: 4,
      headline: ["browser-stopped", "interrupted", "Step student did not finish: it reached training step 200"],
      lead: "In step teacher, en-sts's Spearman correlation with gold similarity scores rose from 0.300 to 0.700; chance is 0.000.",
    },
    {
      name: "comparison",
      file: comparison,
      charts: 6,
      headline: ["browser vs browser-b", "student.training.learningRate 1e-3 → 3e-4"],
    },
  ];
  const browser = await launchChromium();
  try {
    for (const report of reports) {
      const page = await browser.newPage();
      await page.setViewport({ width: 1280, height: 900 });
      const requests: string[] = [];
      page.on("request", (request) => void requests.push(request.url()));
      await page.goto(`file://${report.file}`, { waitUntil: "networkidle0" });
      const charts = await page.$$eval("figure svg", (elements) =>
        elements.map((svg) => {
          const box = svg.getBoundingClientRect();
          const points = Array.from(svg.querySelectorAll("path")).map(
            (element) => (element.getAttribute("d") ?? "").split(/[ML]/).length - 1,
          );
          // echarts marks each drawn data point (a loss dot, an evaluation's symbol) with its index.
          return {
            width: box.width,
            height: box.height,
            mostPoints: Math.max(0, ...points),
            dataPoints: svg.querySelectorAll('[ecmeta_data_index][ecmeta_ssr_type="chart"]').length,
            text: Array.from(svg.querySelectorAll("text"))
              .map((element) => element.textContent)
              .join("|"),
          };
        }),
      );
      assert.equal(charts.length, report.charts, report.name);
      for (const chart of charts) {
        assert.ok(chart.width > 400 && chart.height > 200, `chart drawn at ${chart.width}×${chart.height}`);
        assert.ok(
          chart.mostPoints >= 2 && chart.dataPoints >= 2,
          `a line through its data points (${chart.mostPoints} on the line, ${chart.dataPoints} marked)`,
        );
        assert.ok(chart.text.includes("training step"), "x-axis titled");
      }
      for (const loss of [charts[0]!, charts[3]!]) {
        assert.ok(loss.mostPoints >= 60 && loss.dataPoints >= 120, "a loss chart: many steps, a dot each");
        assert.ok(loss.text.includes("loss"), "y-axis titled");
      }
      // Evaluation charts: the unit on the axis, the axis from zero, retrieval's chance level drawn.
      const retrieval = charts[2]!.text;
      assert.ok(
        retrieval.includes("top-1 retrieval accuracy (%)") && retrieval.includes("chance 0.67% (1 in 150)"),
        retrieval,
      );
      assert.ok(retrieval.split("|").includes("0"), "the accuracy axis starts at 0");
      assert.ok(charts[1]!.text.includes("correlation with gold scores"), charts[1]!.text);
      // The page is as wide as the window (nothing scrolls sideways), at a laptop's width and a narrow one.
      for (const width of [1280, 760]) {
        await page.setViewport({ width, height: 900 });
        const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(scrollWidth <= width, `${report.name} at ${width} px: page is ${scrollWidth} px wide`);
      }
      await page.setViewport({ width: 1280, height: 900 });
      const headline = await page.$eval("header", (element) => (element.textContent ?? "").replace(/\s+/g, " "));
      const body = await page.evaluate(() => (document.body.textContent ?? "").replace(/\s+/g, " "));
      for (const phrase of report.headline)
        assert.ok(headline.includes(phrase) || body.includes(phrase), `${report.name}: "${phrase}" shown`);
      // The plain-language headline opens the page: under the title, on screen without scrolling.
      if (report.lead !== undefined) {
        const lead = await page.$eval("header p.headline", (element) => ({
          text: element.textContent,
          box: element.getBoundingClientRect().toJSON() as DOMRect,
        }));
        assert.equal(lead.text, report.lead, report.name);
        assert.ok(
          lead.box.height > 0 && lead.box.bottom < 900 && lead.box.right <= 1280,
          `${report.name}: headline at ${JSON.stringify(lead.box)}`,
        );
      }
      assert.ok(
        requests.length >= 1 && requests.every((url) => url.startsWith("file:") || url.startsWith("data:")),
        `only the page itself loads: ${requests.join(", ")}`,
      );
      // BABELBED_SCREENSHOTS=DIR keeps them for a look (CI can upload the folder); by default they go with the temp dir.
      const shots = process.env.BABELBED_SCREENSHOTS ?? work;
      await mkdir(shots, { recursive: true });
      const screenshot = path.join(shots, `report-${report.name}.png`);
      await page.screenshot({ path: screenshot as `${string}.png`, fullPage: true });
      assert.ok((await stat(screenshot)).size > 50_000, "a full-page screenshot with content");
      t.diagnostic(`screenshot: ${screenshot}`);
      await page.close();
    }
  } finally {
    await browser.close();
  }
});

test("babelbed report A B writes a comparison; babelbed report A rebuilds A's report; a missing directory exits 2", async () => {
  const [a, b] = [path.join(work, "cli-a"), path.join(work, "cli-b")];
  await syntheticRun(a, { name: "run-a", quality: 1, finished: true });
  await syntheticRun(b, { name: "run-b", quality: 0.5, finished: true });
  const output = path.join(work, "a-vs-b.html");
  const missing = path.join(work, "no-such-run");
  // Three processes at once: each spends seconds loading tfjs and transpiling the sources.
  const [compared, single, failed] = await Promise.all([
    babelbed(["report", a, b, "--output", output]),
    babelbed(["report", a]),
    babelbed(["report", a, missing]),
  ]);
  assert.equal(compared.code, 0, compared.stderr);
  assert.equal(compared.stdout.trim(), output);
  const html = await readFile(output, "utf8");
  assert.match(html, /run-a <span class="subtitle">vs<\/span> run-b/);
  // student en-de/accuracy after training: A 0.1 + 0.5, B 0.1 + 0.25; B − A = −0.25, worse, red; named for people.
  assert.match(
    html,
    /top-1 retrieval accuracy, English ↔ German \(mean of both directions\) <span class="key">en-de\/accuracy<\/span><\/td><td class="number">60\.0%<\/td><td class="number">35\.0%<\/td><td class="number worse">−25\.0 pts<\/td>/,
  );
  assert.equal((html.match(/<svg/g) ?? []).length, 6, "both runs overlaid in each chart");
  assert.match(html, /A: classification/);
  assert.match(html, /B: classification/);
  assert.match(html, /<mark>name: run-b<\/mark>/, "recipe lines that differ are marked");

  assert.equal(single.code, 0, single.stderr);
  assert.equal(single.stdout.trim(), path.join(a, "report.html"));
  assert.match(await readFile(path.join(a, "report.html"), "utf8"), /run-a <span class="status finished">/);

  assert.equal(failed.code, 2);
  assert.ok(failed.stderr.includes(`${missing}: no such run directory`), failed.stderr);
  assert.doesNotMatch(failed.stderr, /\n\s+at /, "no stack trace");
});

test("a recipe run writes report.html when it ends, and when it fails", { skip: skipWithoutFixtures }, async () => {
  await useBackend("js");
  const sts = path.join(repositoryRoot, "datasets", "en-sts", "test.tsv");
  const spec = (file: string) => `{ kind: scored-pairs, file: ${file}, format: tsv, header: true, scoreRange: [0, 5] }`;
  const recipeFile = path.join(work, "recipe.yaml");
  const recipe = (pairWith: string) => `name: report-check
steps:
  - step: evaluate
    name: scores
    model: ${path.join(fixturesRoot, "tiny-bert")}
    tasks: [{ task: sts, name: en-sts, data: ${spec(sts)}${pairWith} }]
`;
  await writeFile(recipeFile, recipe(""));
  const output = path.join(work, "recipe-run");
  const outcome = await runRecipe(await loadRecipe(recipeFile), { output });
  const html = await readFile(path.join(output, "report.html"), "utf8");
  assert.match(html, /report-check <span class="status finished">/);
  const spearman = outcome.results[0]!.after["en-sts/spearman"]!.toFixed(3);
  assert.ok(html.includes(`<td class="number">${spearman}</td>`), `table has ${spearman}`);
  // An evaluate step alone: the headline gives its score, with no before, over the pairs the STS task recorded.
  assert.ok(
    html.includes(
      `<p class="headline">In step scores, en-sts&#39;s Spearman correlation with gold similarity scores was ${spearman} on 100 pairs; chance is 0.000.</p>`,
    ),
    html.match(/<p class="headline">.*?<\/p>/)?.[0],
  );
  assert.match(html, /tfjs backend &#34;cpu&#34;/, "the device the run started on");

  // sentence2 from a file with fewer rows: the evaluation fails, and the report says so.
  const short = path.join(work, "short.tsv");
  await writeFile(short, `${(await readFile(sts, "utf8")).split("\n").slice(0, 20).join("\n")}\n`);
  await writeFile(recipeFile, recipe(`, pairWith: ${spec(short)}`));
  const failed = path.join(work, "recipe-failed");
  await assert.rejects(runRecipe(await loadRecipe(recipeFile), { output: failed }), /pairWith has 19 rows/);
  const failure = await readFile(path.join(failed, "report.html"), "utf8");
  assert.match(failure, /class="status failed"/);
  assert.match(failure, /pairWith has 19 rows, data has 100/);
});
