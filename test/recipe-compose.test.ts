import assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";
import { composeRecipe, relativeWhereShared, type WizardAnswers } from "../src/recipes/compose.js";
import { findLanguage, parseLanguages } from "../src/text/languages.js";
import { parseRecipe } from "../src/recipes/load.js";
import { BabelbedError } from "../src/util/errors.js";
import { repositoryRoot } from "./helpers/fixtures.js";

const datasets = path.join(repositoryRoot, "datasets");
const recipeFile = path.join(repositoryRoot, "recipes", "ja.yaml");
/** Beside the checkout, wherever it is cloned (CI clones it somewhere other than /work). */
const beside = (...parts: string[]) => path.join(repositoryRoot, "..", ...parts);

function japanese(overrides: Partial<WizardAnswers> = {}): WizardAnswers {
  return {
    recipeFile,
    languages: [
      {
        language: findLanguage("Japanese")!,
        pairs: 40_000,
        train: {
          kind: "parallel",
          files: {
            source: beside("shared", "data", "enja", "train.en"),
            target: beside("shared", "data", "enja", "train.ja"),
          },
          format: "lines",
          joinSpacedCjk: true,
        },
        test: {
          kind: "parallel",
          file: path.join(datasets, "en-ja", "test.tsv"),
          format: "tsv",
          header: true,
          columns: { source: "en", target: "ja" },
        },
      },
    ],
    teacher: {
      regression: {
        kind: "scored-pairs",
        file: path.join(datasets, "en-sts", "train.tsv"),
        format: "tsv",
        header: true,
        scoreRange: [0, 5],
      },
      classification: {
        kind: "labelled-pairs",
        file: path.join(datasets, "en-nli", "train.tsv"),
        format: "tsv",
        header: true,
      },
      stsTest: {
        kind: "scored-pairs",
        file: path.join(datasets, "en-sts", "test.tsv"),
        format: "tsv",
        header: true,
        scoreRange: [0, 5],
      },
      rows: 300,
    },
    student: { fresh: true },
    size: "small",
    device: "auto",
    ...overrides,
  };
}

test("languages are found by code or English name; unknown names and English are refused", () => {
  assert.equal(findLanguage("Japanese")?.code, "ja");
  assert.equal(findLanguage("JA")?.name, "Japanese");
  assert.deepEqual(
    parseLanguages("ja, German").map((language) => language.code),
    ["ja", "de"],
  );
  assert.equal(parseLanguages("sw")[0]!.code, "sw", "an unlisted ISO code is taken as it is");
  assert.equal(parseLanguages("sw")[0]!.unknown, undefined);
  assert.equal(
    parseLanguages("xx")[0]!.unknown,
    true,
    "a code that is not ISO 639-1 is marked for the wizard to confirm",
  );
  assert.throws(
    () => parseLanguages("Klingon"),
    (error: Error) => error instanceof BabelbedError && /unknown language "Klingon"/.test(error.message),
  );
  assert.throws(() => parseLanguages("english"), /teacher's language/);
  assert.throws(() => parseLanguages("ja,Japanese"), /given twice/);
  assert.equal(findLanguage("ja")!.segment, true);
  assert.equal(findLanguage("zh")!.segment, false);
  assert.match(findLanguage("th")!.note!, /no spaces/);
});

test("Japanese answers compose a schema-valid recipe: teacher, kuromoji-segmented student, evaluation, export", () => {
  const { text, recipe } = composeRecipe(japanese());
  assert.deepEqual(recipe, parseRecipe(text, recipeFile), "the text is what the schema checked");
  assert.deepEqual(
    recipe.steps.map((step) => `${step.step}:${step.name}`),
    ["train-teacher:teacher", "distill:student", "export:export"],
  );
  const distill = recipe.steps[1]!;
  if (distill.step !== "distill") return assert.fail();
  assert.deepEqual(distill.student.segment, ["ja"]);
  const exported = recipe.steps[2]!;
  assert.deepEqual(
    exported.step === "export" ? exported.languages : undefined,
    ["en", "ja"],
    "the model card's languages",
  );
  assert.equal(distill.student.fresh?.vocabulary.size, 16_000, "a 40k-pair corpus gets a 16k vocabulary");
  assert.equal(distill.training.epochs, 3, "the default for 40k pairs");
  assert.deepEqual(distill.data[0], {
    kind: "parallel",
    files: { source: "../../shared/data/enja/train.en", target: "../../shared/data/enja/train.ja" },
    format: "lines",
    joinSpacedCjk: true,
    onBadRows: "fail",
    blankLines: "fail",
  });
  assert.deepEqual(
    distill.evaluation.map((task) => task.name),
    ["en-ja", "en-ja-mse", "en-sts"],
  );
  assert.match(text, /^# Written by babelbed wizard/);
  assert.match(text, /# ja: segmented into words with kuromoji/);
  assert.match(text, /joinSpacedCjk removes them/);
  assert.match(text, /file: \.\.\/datasets\/en-sts\/train\.tsv/, "paths are relative to the recipe's folder");
});

test("a time budget becomes maxMinutes, and maxSteps at the size's rate, split between teacher and student", () => {
  const { recipe } = composeRecipe(japanese({ budget: { minutes: 6 }, size: "tiny", device: "wasm" }));
  const [teacher, student] = recipe.steps;
  assert.equal(teacher?.step === "train-teacher" && teacher.training.maxSteps, 2 * 350);
  assert.equal(student?.step === "distill" && student.training.maxSteps, 4 * 350);
  assert.equal(teacher?.step === "train-teacher" && teacher.training.maxMinutes, 2);
  assert.equal(student?.step === "distill" && student.training.maxMinutes, 4);
});

test("an existing teacher and a pretrained student: no teacher step, the directory is the teacher everywhere", () => {
  const { text, recipe } = composeRecipe(
    japanese({
      teacher: { directory: beside("models", "teacher") },
      student: { directory: beside("models", "mbert") },
      budget: { epochs: 2 },
    }),
  );
  assert.deepEqual(
    recipe.steps.map((step) => step.step),
    ["distill", "export"],
  );
  const distill = recipe.steps[0]!;
  if (distill.step !== "distill") return assert.fail();
  assert.equal(distill.teacher, "../../models/teacher");
  assert.equal(distill.student.from, "../../models/mbert");
  assert.equal(distill.student.segment, undefined);
  assert.equal(distill.student.maxSeqLength, undefined, "a pretrained model keeps its own length");
  assert.equal(distill.training.learningRate, 2e-5);
  assert.equal(distill.training.epochs, 2);
  const mse = distill.evaluation.find((task) => task.task === "mse");
  assert.equal(mse?.task === "mse" && mse.teacher, "../../models/teacher");
  assert.match(text, /segment: \[ja\] is left out/);
});

test("a student sized to the teacher gets dense: teacher; an existing teacher's student is scored on English STS when given", () => {
  const stsTest = {
    kind: "scored-pairs" as const,
    file: path.join(datasets, "en-sts", "test.tsv"),
    format: "tsv" as const,
    header: true,
    scoreRange: [0, 5] as [number, number],
  };
  const { text, recipe } = composeRecipe(
    japanese({
      teacher: { directory: beside("models", "teacher"), stsTest },
      student: { fresh: true, dense: "teacher" },
    }),
  );
  assert.deepEqual(
    recipe.steps.map((step) => step.step),
    ["evaluate", "distill", "export"],
    "the teacher's own English STS first",
  );
  const distill = recipe.steps[1]!;
  if (distill.step !== "distill") return assert.fail();
  assert.equal(distill.student.dense, "teacher");
  assert.match(text, /dense: teacher adds a linear layer to the teacher's width/);
  assert.deepEqual(
    distill.evaluation.map((task) => task.name),
    ["en-ja", "en-ja-mse", "en-sts"],
  );
  const plain = composeRecipe(japanese({ teacher: { directory: beside("models", "teacher") } })).recipe.steps[0]!;
  assert.equal(plain.step === "distill" && plain.student.dense, undefined);
});

test("paths that share only the filesystem root stay absolute", () => {
  assert.equal(relativeWhereShared("/tmp/run", "/work/main/datasets/a.tsv"), "/work/main/datasets/a.tsv");
  assert.equal(relativeWhereShared("/work/main/recipes", "/work/main/datasets/a.tsv"), "../datasets/a.tsv");
});
