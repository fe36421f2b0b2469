import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { loadRecipe } from "../src/recipes/load.js";
import { babelbed } from "./helpers/cli.js";
import { fixturesRoot, repositoryRoot, skipWithoutFixtures } from "./helpers/fixtures.js";

let work: string;

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), "babelbed-wizard-"));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The CLI with its teacher cache in this file's scratch folder. */
const command = (args: string[]) => babelbed(args, { env: { BABELBED_CACHE: path.join(work, "cache") } });

async function runsToSummary(recipe: string, output: string): Promise<void> {
  const run = await command(["run", recipe, "--output", output, "--device", "wasm"]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /run directory: /);
  const summary = JSON.parse(await readFile(path.join(output, "summary.json"), "utf8")) as {
    results: { step: string }[];
  };
  assert.deepEqual(
    summary.results.map((result) => result.step),
    (await loadRecipe(recipe)).recipe.steps.map((step) => step.name),
  );
  assert.ok(existsSync(path.join(output, "student", "model.safetensors")), "the student is exported");
}

const tmux = (() => {
  try {
    execFileSync("tmux", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

test("the wizard at a terminal (tmux): prompts, preview, a re-asked bad file, a written recipe that babelbed run finishes", {
  skip: tmux ? false : "tmux is not installed (apt-get install tmux): the pseudo-terminal test needs it",
}, async () => {
  const socket = `babelbed-wizard-${process.pid}`;
  const recipe = path.join(work, "interactive", "ja.yaml");
  const bad = path.join(work, "bad.tsv");
  await writeFile(bad, "en\tja\nGood morning.\tおはようございます。\nA row with one column\n");
  const tmuxRun = (...args: string[]) => execFileSync("tmux", ["-L", socket, ...args], { encoding: "utf8" });
  const screen = () => tmuxRun("capture-pane", "-p", "-J", "-S", "-2000", "-t", "wizard");
  const waitFor = async (text: string, timeout = 30_000) => {
    const started = Date.now();
    while (!screen().includes(text)) {
      if (Date.now() - started > timeout) assert.fail(`waited ${timeout} ms for "${text}"; the screen:\n${screen()}`);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  };
  const keys = async (...sequence: string[]) => {
    for (const key of sequence) {
      tmuxRun("send-keys", "-t", "wizard", ...(key.length > 1 && /^[A-Z]/.test(key) ? [key] : ["-l", key]));
      await new Promise((resolve) => setTimeout(resolve, 120));
    }
  };
  const shell = `cd ${JSON.stringify(repositoryRoot)} && node bin/babelbed.js wizard; echo WIZARD-EXIT=$?; sleep 120`;
  tmuxRun("new-session", "-d", "-s", "wizard", "-x", "200", "-y", "50", shell);
  try {
    await waitFor("? Target language(s)");
    // A rejected answer is cleared: what is typed next is the whole answer, not "Klingon" plus it.
    await keys("Klingon", "Enter");
    await waitFor('unknown language "Klingon"');
    await keys("Japanese", "Enter");
    await waitFor("? Parallel data for Japanese (ja)");
    await keys(bad, "Enter");
    await waitFor("? Does the first line name the columns?");
    await keys("Enter");
    await waitFor("? Which columns hold English and the translation?");
    await keys("Enter");
    await waitFor("? This file has a bad row");
    assert.ok(screen().includes(`${bad}:3: field target`), "the bad row is named FILE:LINE");
    assert.ok(screen().includes("skip bad rows (onBadRows: skip)"), "skipping is offered");
    await keys("Enter"); // give another file, the default
    await waitFor("? Parallel data for Japanese (ja)", 10_000); // the first one now reads ✔
    await keys("datasets/en-ja/train.tsv", "Enter");
    await waitFor("? Does the first line name the columns?");
    await keys("Enter");
    await waitFor("? Which columns hold English and the translation?");
    await keys("Enter");
    await waitFor("? Evaluation data for Japanese");
    const shown = screen();
    assert.ok(shown.includes("400 pairs (English → Japanese); the first 3:"), "the pair count");
    assert.ok(
      shown.includes(
        "1. The coffee here is strong but very good.  →  ここのコーヒーは濃いけれど、とてもおいしいです。",
      ),
      "the first pair",
    );
    assert.ok(shown.includes("3. We stayed inside all day because of the storm."), "the third pair");
    await keys("Enter");
    await waitFor("? Pairs to hold out for testing");
    await keys("50", "Enter");
    await waitFor("? Teacher");
    await keys("Enter");
    await waitFor("? STS file for the teacher");
    await keys("Enter");
    await waitFor("? NLI file for the teacher");
    await keys("Enter");
    await waitFor("? Student");
    await keys("Enter");
    await waitFor("? Model size");
    await keys("Up", "Enter"); // tiny, above the default small
    await waitFor("? Training budget");
    await keys("Down", "Down", "Enter"); // steps
    await waitFor("? Training steps");
    await keys("30", "Enter");
    await waitFor("? Device");
    await keys("Down", "Down", "Down", "Enter"); // wasm
    await waitFor("? Recipe file");
    await keys(recipe, "Enter");
    await waitFor("? Run it now?");
    await keys("n", "Enter");
    await waitFor("WIZARD-EXIT=");
    assert.ok(screen().includes("WIZARD-EXIT=0"), screen());
    assert.match(
      screen(),
      /✔ Target language\(s\) .*\) Japanese\n/,
      "the answer after a rejected one is the new text alone",
    );
    assert.ok(!screen().includes("KlingonJapanese"));
    assert.ok(screen().includes("held out 50 of 400 pairs"));
  } finally {
    try {
      tmuxRun("kill-server");
    } catch {
      // already gone
    }
  }
  const { recipe: loaded } = await loadRecipe(recipe);
  const distill = loaded.steps.find((step) => step.step === "distill")!;
  assert.equal(distill.step, "distill");
  if (distill.step !== "distill") return;
  assert.deepEqual(distill.student.segment, ["ja"]);
  assert.equal(distill.training.maxSteps, 30);
  assert.equal(loaded.device, "wasm");
  assert.ok(
    existsSync(path.join(work, "interactive", "ja-test.ja.jsonl")),
    "the held-out pairs are written next to the recipe",
  );
  await runsToSummary(recipe, path.join(work, "interactive-run"));
});

test("the wizard from flags alone, with no terminal: a recipe with an existing teacher and student that babelbed run finishes", {
  skip: skipWithoutFixtures,
}, async () => {
  const recipe = path.join(work, "flags", "de.yaml");
  const model = path.join(fixturesRoot, "tiny-bert-uncased");
  const result = await command([
    "wizard",
    "--yes",
    "--lang",
    "German",
    "--parallel",
    "datasets/en-de/train.tsv",
    "--eval",
    "datasets/en-de/test.tsv",
    "--teacher",
    model,
    "--student",
    model,
    "--steps",
    "10",
    "--device",
    "wasm",
    "--output",
    recipe,
    "--no-run",
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /400 pairs \(English → German\)/);
  assert.match(result.stdout, /150 pairs \(English → German\)/);
  const { recipe: loaded } = await loadRecipe(recipe);
  assert.deepEqual(
    loaded.steps.map((step) => step.step),
    ["evaluate", "distill", "export"],
    "the existing teacher's English STS, then distillation",
  );
  const distill = loaded.steps[1]!;
  if (distill.step !== "distill") return assert.fail("the first step distills");
  // Relative to the recipe's folder, or absolute where the two share no folder: either way it reaches the model.
  const fromRecipe = (reference: string | undefined) => path.resolve(path.dirname(recipe), reference ?? "");
  assert.equal(fromRecipe(distill.student.from), model);
  assert.equal(fromRecipe(distill.teacher), model);
  assert.equal(distill.student.segment, undefined);
  assert.deepEqual(
    distill.evaluation.map((task) => task.name),
    ["en-de", "en-de-mse", "en-sts"],
    "English STS too: datasets/en-sts is at hand",
  );
  await runsToSummary(recipe, path.join(work, "flags-run"));
});

test("the wizard from flags writes a tiny trained-teacher recipe for Japanese with --yes defaults", async () => {
  const recipe = path.join(work, "yes", "ja.yaml");
  const result = await command([
    "wizard",
    "--yes",
    "--lang",
    "ja",
    "--parallel",
    "datasets/en-ja/train.tsv",
    "--size",
    "tiny",
    "--minutes",
    "3",
    "--output",
    recipe,
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /Run it later with: babelbed run /);
  const { recipe: loaded } = await loadRecipe(recipe);
  assert.deepEqual(
    loaded.steps.map((step) => step.step),
    ["train-teacher", "distill", "export"],
  );
  const [teacher, distill] = loaded.steps;
  if (teacher?.step !== "train-teacher" || distill?.step !== "distill") return assert.fail("teacher, then distill");
  // 3 minutes at the tiny wasm rate (350 steps a minute): a third for the teacher, the rest for the student.
  assert.equal(teacher.training.maxSteps, 350);
  assert.equal(distill.training.maxSteps, 700);
  assert.deepEqual(
    [teacher.training.maxMinutes, distill.training.maxMinutes],
    [1, 2],
    "the wall-clock limit holds on a slower machine",
  );
  assert.deepEqual(distill.student.segment, ["ja"]);
  // --yes holds out the default 10% (40 of 400) and keeps them out of training.
  const test = await readFile(path.join(work, "yes", "ja-test.ja.jsonl"), "utf8");
  assert.equal(test.trimEnd().split("\n").length, 40);
  const again = await command([
    "wizard",
    "--yes",
    "--lang",
    "ja",
    "--parallel",
    "datasets/en-ja/train.tsv",
    "--output",
    recipe,
  ]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /exists; pass --force/);
});

test("with no terminal, a missing answer stops the wizard with exit 2 naming the flag", async () => {
  const missing = await command(["wizard", "--lang", "de", "--output", path.join(work, "never.yaml")]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no terminal to ask "Parallel data for German \(de\)" on; pass --parallel FILE/);
  const noLanguage = await command(["wizard", "--yes"]);
  assert.equal(noLanguage.code, 2);
  assert.match(noLanguage.stderr, /pass --lang LANG/);
  const bad = path.join(work, "bad-flag.tsv");
  await writeFile(bad, "Hello.\tHallo.\nOnly one column\n");
  const badRows = await command([
    "wizard",
    "--yes",
    "--lang",
    "de",
    "--parallel",
    bad,
    "--no-header",
    "--output",
    path.join(work, "never.yaml"),
  ]);
  assert.equal(badRows.code, 2);
  assert.match(
    badRows.stderr,
    new RegExp(`--parallel: ${bad.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:2: field target.*pass --skip-bad-rows`),
  );
  assert.ok(!existsSync(path.join(work, "never.yaml")));
  const unknown = await command(["wizard", "--lang", "xx", "--output", path.join(work, "never.yaml")]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stdout, /"xx" is not an ISO 639-1 language code/);
  assert.match(unknown.stderr, /no terminal to ask "Use "xx" anyway\?" on; pass --yes/);
});

test("--skip-bad-rows writes onBadRows: skip; an unknown code is warned about, and --yes accepts it", async () => {
  const rows = path.join(work, "some-bad.tsv");
  await writeFile(rows, "Hello.\tHallo.\nOnly one column\nThank you.\tDanke.\nGood night.\tGute Nacht.\n");
  const recipe = path.join(work, "skip", "xx.yaml");
  const result = await command([
    "wizard",
    "--yes",
    "--lang",
    "xx",
    "--parallel",
    rows,
    "--no-header",
    "--skip-bad-rows",
    "--eval",
    "datasets/en-de/test.tsv",
    "--size",
    "tiny",
    "--steps",
    "5",
    "--output",
    recipe,
    "--no-run",
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /⚠ "xx" is not an ISO 639-1 language code/);
  assert.match(result.stdout, /3 pairs \(English → xx\) \(1 bad row skipped\)/);
  const { recipe: loaded } = await loadRecipe(recipe);
  const distill = loaded.steps.find((step) => step.step === "distill");
  if (distill?.step !== "distill") return assert.fail("a distill step");
  assert.equal(distill.data[0]!.onBadRows, "skip");
});
