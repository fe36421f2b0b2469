import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { loadRecipe } from "../src/recipes/load.js";
import { directoryWidth } from "../src/recipes/widths.js";
import { babelbed } from "./helpers/cli.js";
import { fixturesRoot, repositoryRoot, skipWithoutFixtures } from "./helpers/fixtures.js";

let work: string;

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), "babelbed-wizard-models-"));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

const fixture = (name: string) => path.join(fixturesRoot, name);

/**
 * Every teacher/student combination the wizard offers, answered by flags and `--yes`, written
 * and run to the end in the same command (`--run`). A teacher trained here is a tiny (64-d) model;
 * the fixtures are 32-d (MPNet, BERT), 24-d (BERT uncased) and 16-d (DistilBERT through its own Dense).
 */
const combinations: { name: string; teacher: string; student: string; dense: boolean }[] = [
  { name: "trained teacher, fresh student", teacher: "train", student: "fresh", dense: false },
  {
    name: "trained teacher (64-d), existing 24-d student",
    teacher: "train",
    student: fixture("tiny-bert-uncased"),
    dense: true,
  },
  { name: "existing 32-d teacher, fresh 64-d student", teacher: fixture("tiny-mpnet"), student: "fresh", dense: true },
  {
    name: "existing 32-d teacher, existing 16-d student (its own Dense)",
    teacher: fixture("tiny-mpnet"),
    student: fixture("tiny-distilbert"),
    dense: true,
  },
  {
    name: "existing 32-d teacher, existing 32-d student",
    teacher: fixture("tiny-mpnet"),
    student: fixture("tiny-bert"),
    dense: false,
  },
];

for (const [index, combination] of combinations.entries()) {
  test(`the wizard's recipe runs to the end: ${combination.name}`, { skip: skipWithoutFixtures }, async () => {
    const folder = path.join(work, `combination-${index}`);
    const recipe = path.join(folder, "de.yaml");
    const result = await babelbed(
      [
        "wizard",
        "--yes",
        "--lang",
        "de",
        "--parallel",
        path.join(repositoryRoot, "datasets", "en-de", "train.tsv"),
        "--held-out",
        "20",
        "--teacher",
        combination.teacher,
        "--student",
        combination.student,
        "--size",
        "tiny",
        "--steps",
        "3",
        "--device",
        "wasm",
        "--output",
        recipe,
        "--run",
      ],
      // --run writes runs/<name> under the working folder: this test's scratch folder.
      { env: { BABELBED_CACHE: path.join(work, "cache") }, cwd: work },
    );
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    const { recipe: loaded } = await loadRecipe(recipe);
    const distill = loaded.steps.find((step) => step.step === "distill");
    if (distill?.step !== "distill") return assert.fail("a distill step");
    assert.equal(
      distill.student.dense,
      combination.dense ? "teacher" : undefined,
      "dense: teacher exactly where the widths differ",
    );
    if (combination.dense) assert.match(result.stdout, /the student gets a linear layer to (32|64) \(dense: teacher\)/);
    // The student's English is scored whatever the teacher: English STS data is at hand (datasets/en-sts).
    assert.ok(
      distill.evaluation.some((task) => task.name === "en-sts"),
      "an English STS evaluation",
    );
    const run = path.join(work, "runs", "de");
    const summary = JSON.parse(await readFile(path.join(run, "summary.json"), "utf8")) as {
      results: { step: string; after?: Record<string, number> }[];
    };
    assert.deepEqual(
      summary.results.map((entry) => entry.step),
      loaded.steps.map((step) => step.name),
    );
    const student = summary.results.find((entry) => entry.step === distill.name)!;
    assert.ok(Number.isFinite(student.after?.["en-sts/spearman"]), "the student's English STS after training");
    const teacher = summary.results.find((entry) => entry.step === "teacher");
    assert.ok(
      Number.isFinite(teacher?.after?.["en-sts/spearman"]),
      "the teacher's English STS, trained here or not, to read the student's against",
    );
    // The exported student's vectors are as wide as the teacher's.
    const exported = path.join(run, "student");
    assert.ok(existsSync(path.join(exported, "modules.json")), "the student is exported for sentence-transformers");
    const teacherWidth = combination.teacher === "train" ? 64 : await directoryWidth(combination.teacher);
    assert.equal(await directoryWidth(exported), teacherWidth);
    await rm(run, { recursive: true, force: true });
  });
}
