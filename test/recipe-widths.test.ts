import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { parseRecipe } from "../src/recipes/load.js";
import { checkModelWidths, directoryWidth } from "../src/recipes/widths.js";
import { BabelbedError } from "../src/util/errors.js";
import { babelbed } from "./helpers/cli.js";
import { fixturesRoot, skipWithoutFixtures } from "./helpers/fixtures.js";

const data = "{ kind: parallel, file: pairs.tsv, format: tsv }";
const fresh = (hidden: number) =>
  `{ hiddenSize: ${hidden}, layers: 1, heads: 2, intermediateSize: 32, vocabulary: { size: 100 } }`;
const recipe = (steps: string) => parseRecipe(`name: widths\nsteps:\n${steps}`, "widths.yaml");
const distill = (teacher: string, student: string) =>
  `  - step: distill\n    name: student\n    teacher: ${teacher}\n    student: ${student}\n    data: [${data}]\n`;
const mismatch = (field: string, teacher: number, student: number) => (error: unknown) =>
  error instanceof BabelbedError &&
  error.message.startsWith(
    `widths.yaml: ${field}: the teacher's vectors have ${teacher} dimensions and the student's ${student}`,
  );

test("model directories' widths come from their config files: hidden size × pooling modes, or the last Dense", {
  skip: skipWithoutFixtures,
}, async () => {
  assert.equal(await directoryWidth(path.join(fixturesRoot, "tiny-mpnet")), 32);
  assert.equal(await directoryWidth(path.join(fixturesRoot, "tiny-bert-uncased")), 24);
  assert.equal(await directoryWidth(path.join(fixturesRoot, "tiny-bert-uncased"), ["mean", "max"]), 48);
  assert.equal(await directoryWidth(path.join(fixturesRoot, "tiny-distilbert")), 16, "its own Dense layer");
});

test("a distill student as wide as its teacher passes; any other fails naming steps.N.student.dense before anything runs", {
  skip: skipWithoutFixtures,
}, async () => {
  const teacher = path.join(fixturesRoot, "tiny-mpnet");
  const check = (text: string) => checkModelWidths(recipe(text), fixturesRoot, "widths.yaml");
  await check(distill(teacher, `{ fresh: ${fresh(32)} }`));
  await check(distill(teacher, `{ fresh: ${fresh(24)}, dense: teacher }`));
  await check(distill(teacher, `{ from: tiny-distilbert, dense: { outFeatures: 32 } }`));
  await check(distill(teacher, `{ from: tiny-bert }`));
  await assert.rejects(check(distill(teacher, `{ fresh: ${fresh(24)} }`)), mismatch("steps.0.student.dense", 32, 24));
  await assert.rejects(check(distill(teacher, `{ from: tiny-distilbert }`)), mismatch("steps.0.student.dense", 32, 16));
  await assert.rejects(check(distill(teacher, `{ from: tiny-bert, dense: { outFeatures: 30 } }`)), (error: Error) =>
    /make its outFeatures 32$/.test(error.message),
  );
  await assert.rejects(
    check(distill(teacher, `{ from: tiny-bert, pooling: [mean, cls] }`)),
    mismatch("steps.0.student.dense", 32, 64),
  );
  await assert.rejects(
    check(distill("no-such-model", `{ fresh: ${fresh(32)} }`)),
    /model "no-such-model" is neither an earlier step/,
  );
});

test("earlier steps' models are followed: a teacher trained in the recipe, and a student distilled twice", async () => {
  const teacherStep = `  - step: train-teacher\n    name: teacher\n    model: { fresh: ${fresh(64)} }\n    objectives: [{ type: regression, data: ${data} }]\n`;
  const check = (text: string) => checkModelWidths(recipe(text), "/nonexistent", "widths.yaml");
  await check(teacherStep + distill("teacher", `{ fresh: ${fresh(64)} }`));
  await check(teacherStep + distill("teacher", `{ fresh: ${fresh(16)}, dense: teacher }`));
  await assert.rejects(
    check(teacherStep + distill("teacher", `{ fresh: ${fresh(16)} }`)),
    mismatch("steps.1.student.dense", 64, 16),
  );
  // A student of the first distillation (64 wide through dense: teacher) taught by the recipe's teacher again.
  const second = distill("teacher", `{ from: student }`).replace("name: student", "name: again");
  await check(teacherStep + distill("teacher", `{ fresh: ${fresh(16)}, dense: teacher }`) + second);
  await assert.rejects(
    check(
      teacherStep +
        distill("teacher", `{ fresh: ${fresh(16)}, dense: teacher }`) +
        second.replace("teacher: teacher", "teacher: student").replace("{ from: student }", `{ fresh: ${fresh(8)} }`),
    ),
    mismatch("steps.2.student.dense", 64, 8),
  );
});

test("babelbed run refuses a recipe whose student is narrower than its teacher before it loads anything (exit 2)", {
  skip: skipWithoutFixtures,
}, async () => {
  const work = await mkdtemp(path.join(tmpdir(), "babelbed-widths-"));
  try {
    const file = path.join(work, "narrow.yaml");
    await writeFile(
      file,
      `name: narrow\nsteps:\n${distill(path.join(fixturesRoot, "tiny-mpnet"), `{ fresh: ${fresh(24)} }`)}`,
    );
    const started = Date.now();
    const result = await babelbed(["run", file, "--output", path.join(work, "run")]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      /narrow\.yaml: steps\.0\.student\.dense: the teacher's vectors have 32 dimensions and the student's 24; add "dense: teacher"/,
    );
    assert.ok(!existsSync(path.join(work, "run")), "no run directory: nothing ran");
    assert.ok(!result.stderr.includes("    at "), "no stack trace");
    console.log(`refused in ${Date.now() - started} ms`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
