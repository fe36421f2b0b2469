import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { loadSentenceEncoder } from "../src/io/encoder-checkpoint.js";
import { readSentenceTransformerLayout } from "../src/io/sentence-transformers/index.js";
import { loadRecipe } from "../src/recipes/load.js";
import { runRecipe } from "../src/recipes/run.js";
import { useBackend } from "./helpers/backends.js";
import { fixturesRoot, repositoryRoot, skipWithoutFixtures } from "./helpers/fixtures.js";

const sentences = ["A man is playing a guitar.", "Ein Mann spielt Gitarre.", "Wir haben im Wald Kastanien gesammelt."];

/** The exported directory holds the trained model's tensors bit for bit and gives its vectors exactly. */
async function assertExportIsExact(trained: string, exported: string): Promise<void> {
  const [original, copy] = [await loadSentenceEncoder(trained), await loadSentenceEncoder(exported)];
  try {
    const [a, b] = [original.transformer.namedTensors(), copy.transformer.namedTensors()];
    assert.deepEqual([...a.keys()], [...b.keys()]);
    for (const [name, tensor] of a) assert.deepEqual(tensor.dataSync(), b.get(name)!.dataSync(), name);
    tf.dispose([...a.values(), ...b.values()]);
    assert.deepEqual(
      copy.dense.map((dense) => [dense.weight.dataSync(), dense.bias?.dataSync(), dense.activation]),
      original.dense.map((dense) => [dense.weight.dataSync(), dense.bias?.dataSync(), dense.activation]),
    );
    assert.deepEqual(await copy.encode(sentences), await original.encode(sentences));
  } finally {
    original.dispose();
    copy.dispose();
  }
}

test("hub-models-tiny: a fresh 24-d student learns from the MPNet teacher through a Dense layer, the DistilBERT fixture too; both export exactly", {
  skip: skipWithoutFixtures,
}, async () => {
  await useBackend("wasm");
  const work = await mkdtemp(path.join(tmpdir(), "babelbed-hub-models-"));
  const cache = process.env.BABELBED_CACHE;
  process.env.BABELBED_CACHE = path.join(work, "cache");
  try {
    const output = path.join(work, "run");
    const outcome = await runRecipe(
      await loadRecipe(path.join(repositoryRoot, "recipes", "ci", "hub-models-tiny.yaml")),
      { output },
    );
    for (const step of ["fresh-student", "distilbert-student"]) {
      const result = outcome.results.find((entry) => entry.step === step)!;
      const [before, after] = [result.before!["en-de-mse/mse_target"]!, result.after["en-de-mse/mse_target"]!];
      assert.ok(after < before, `${step}: held-out German MSE to the teacher ${before} → ${after}`);
      console.log(`${step}: held-out German MSE to the teacher ${before.toPrecision(4)} → ${after.toPrecision(4)}`);
    }
    const fresh = await readSentenceTransformerLayout(path.join(output, "fresh-student-st"));
    assert.deepEqual(
      fresh.map((module) => module.kind),
      ["transformer", "pooling", "dense"],
    );
    assert.deepEqual(
      [(fresh[2] as { inFeatures: number }).inFeatures, (fresh[2] as { outFeatures: number }).outFeatures],
      [24, 32],
    );
    const distilbert = await readSentenceTransformerLayout(path.join(output, "distilbert-student-st"));
    assert.deepEqual(
      distilbert.map((module) => module.kind),
      ["transformer", "pooling", "dense", "dense"],
      "the fixture's Dense is kept, the recipe's follows",
    );
    const trained = await loadSentenceEncoder(path.join(output, "models", "mpnet-teacher"));
    const fixture = await loadSentenceEncoder(path.join(fixturesRoot, "tiny-mpnet"));
    assert.equal(trained.transformer.config.modelType, "mpnet");
    for (const name of ["encoder.relative_attention_bias.weight", "encoder.layer.1.attention.attn.q.weight"]) {
      const [after, before] = [
        trained.transformer.parameters.get(name)!.dataSync(),
        fixture.transformer.parameters.get(name)!.dataSync(),
      ];
      assert.ok(
        after.some((value, index) => value !== before[index]),
        `${name} trained`,
      );
    }
    trained.dispose();
    fixture.dispose();
    await assertExportIsExact(path.join(output, "models", "fresh-student"), path.join(output, "fresh-student-st"));
    await assertExportIsExact(
      path.join(output, "models", "distilbert-student"),
      path.join(output, "distilbert-student-st"),
    );
  } finally {
    if (cache === undefined) delete process.env.BABELBED_CACHE;
    else process.env.BABELBED_CACHE = cache;
    await rm(work, { recursive: true, force: true });
  }
});

test("a student of another width without a Dense layer fails naming the recipe field that fixes it", {
  skip: skipWithoutFixtures,
}, async () => {
  await useBackend("wasm");
  const work = await mkdtemp(path.join(tmpdir(), "babelbed-hub-width-"));
  const teacher = path.join(fixturesRoot, "tiny-mpnet");
  const data = path.join(repositoryRoot, "datasets", "en-de", "test.tsv");
  const recipe = (student: string) => `name: width
cacheDirectory: ${path.join(work, "cache")}
steps:
  - step: distill
    name: student
    teacher: ${teacher}
    student: ${student}
    data: [{ kind: parallel, file: ${data}, format: tsv, header: true, columns: { source: en, target: de } }]
    training: { maxSteps: 1 }
  - step: train-teacher
    name: other
    model: { fresh: { hiddenSize: 8, layers: 1, heads: 2, intermediateSize: 8, vocabulary: { size: 200 } }, dense: teacher }
    objectives: [{ type: regression, data: { kind: scored-pairs, file: ${path.join(repositoryRoot, "datasets", "en-sts", "test.tsv")}, format: tsv, header: true, scoreRange: [0, 5] } }]
`;
  try {
    const file = path.join(work, "width.yaml");
    await writeFile(file, recipe(`{ from: ${path.join(fixturesRoot, "tiny-distilbert")} }`));
    await assert.rejects(
      runRecipe(await loadRecipe(file), { output: path.join(work, "run-1") }),
      /steps\.0\.student\.dense: the teacher's vectors have 32 dimensions and the student's 16; add "dense: teacher"/,
    );
    await writeFile(file, recipe(`{ from: ${path.join(fixturesRoot, "tiny-distilbert")}, dense: { outFeatures: 8 } }`));
    await assert.rejects(
      runRecipe(await loadRecipe(file), { output: path.join(work, "run-2") }),
      /student's 8; add "dense: teacher".*or make its outFeatures 32/,
    );
    await writeFile(
      file,
      recipe(`{ from: ${path.join(fixturesRoot, "tiny-distilbert")}, dense: teacher, pooling: [cls, lasttoken] }`),
    );
    await assert.rejects(
      runRecipe(await loadRecipe(file), { output: path.join(work, "run-3") }),
      /steps\.0\.student\.pooling: cls\+lasttoken gives 64 values per sentence, but the model's Dense layer takes 32/,
    );
    await writeFile(file, recipe(`{ from: ${path.join(fixturesRoot, "tiny-distilbert")}, dense: teacher }`));
    await assert.rejects(
      runRecipe(await loadRecipe(file), { output: path.join(work, "run-4") }),
      /steps\.1\.model\.dense: "teacher" sizes the layer to a teacher, which only a distill step's student has/,
    );
    await writeFile(file, recipe(`{ from: ${teacher}, dense: { outFeatures: 0 } }`));
    await assert.rejects(loadRecipe(file), /steps\.0\.student\.dense/);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test("the schema takes pooling lists and Dense specs, and refuses a Dense on pretrain", async () => {
  const work = await mkdtemp(path.join(tmpdir(), "babelbed-hub-schema-"));
  try {
    const file = path.join(work, "schema.yaml");
    const data = "{ kind: parallel, file: pairs.tsv, format: tsv, header: true }";
    await writeFile(
      file,
      `name: schema\nsteps:\n  - { step: pretrain, name: p, model: { fresh: { hiddenSize: 8, layers: 1, heads: 2, intermediateSize: 8, vocabulary: { size: 100 } }, dense: { outFeatures: 4 } }, data: [${data}], stages: [{ layers: 1, steps: 1 }] }\n`,
    );
    await assert.rejects(loadRecipe(file), /steps\.0\.model.*pretrain trains the transformer only/s);
    await writeFile(
      file,
      `name: schema\nsteps:\n  - { step: distill, name: d, teacher: t, student: { from: s, pooling: [cls, weightedmean], dense: teacher }, data: [${data}] }\n`,
    );
    const loaded = await loadRecipe(file);
    const step = loaded.recipe.steps[0] as { student: { pooling: string[]; dense: string } };
    assert.deepEqual([step.student.pooling, step.student.dense], [["cls", "weightedmean"], "teacher"]);
    await writeFile(
      file,
      `name: schema\nsteps:\n  - { step: distill, name: d, teacher: t, student: { from: s, pooling: [cls, sum] }, data: [${data}] }\n`,
    );
    await assert.rejects(loadRecipe(file), /steps\.0\.student\.pooling/);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
