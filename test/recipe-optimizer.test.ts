import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { parseRecipe } from "../src/recipes/load.js";
import { BabelbedError } from "../src/util/errors.js";
import { repositoryRoot } from "./helpers/fixtures.js";

const file = path.join(repositoryRoot, "recipes", "en-de.yaml");
const original = readFileSync(file, "utf8");
const studentTraining =
  "training: { epochs: 2, batchSize: 32, learningRate: 5.0e-4, warmupRatio: 0.05, checkpointEvery: 200 }";

test("training.optimizer.embeddings: exact unless a recipe asks for lazy, and a wrong value names its line", () => {
  assert.ok(original.includes(studentTraining), "recipes/en-de.yaml still trains its student as this test expects");
  const defaults = parseRecipe(original, file);
  const student = defaults.steps.find((step) => step.name === "student");
  assert.ok(student?.step === "distill");
  assert.equal(student.training.optimizer?.embeddings ?? "exact", "exact");

  const lazy = parseRecipe(
    original.replace(studentTraining, studentTraining.replace(" }", ", optimizer: { embeddings: lazy } }")),
    file,
  );
  const lazyStudent = lazy.steps.find((step) => step.name === "student");
  assert.ok(lazyStudent?.step === "distill");
  assert.equal(lazyStudent.training.optimizer?.embeddings, "lazy");

  const wrong = original.replace(
    studentTraining,
    studentTraining.replace(" }", ", optimizer: { embeddings: sparse } }"),
  );
  const line = wrong.split("\n").findIndex((text) => text.includes("embeddings: sparse")) + 1;
  assert.throws(
    () => parseRecipe(wrong, file),
    (error: unknown) =>
      error instanceof BabelbedError &&
      error.message.includes(`${file}:${line}: field steps.1.training.optimizer.embeddings`),
  );
});
