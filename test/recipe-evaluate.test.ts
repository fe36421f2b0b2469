import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { loadRecipe } from "../src/recipes/load.js";
import { runRecipe } from "../src/recipes/run.js";
import { useBackend } from "./helpers/backends.js";
import { fixturesRoot, repositoryRoot, skipWithoutFixtures } from "./helpers/fixtures.js";

test("an evaluate step scores STS, cross-lingual STS (pairWith), retrieval and mining on a fixture model", {
  skip: skipWithoutFixtures,
}, async () => {
  await useBackend("js");
  const work = await mkdtemp(path.join(tmpdir(), "babelbed-evaluate-"));
  try {
    const sts = path.join(repositoryRoot, "datasets", "en-sts", "test.tsv");
    // sentence2 taken from a second file, row by row: here a copy with the pairs reversed.
    const reversed = path.join(work, "reversed.tsv");
    const { readFile } = await import("node:fs/promises");
    const lines = (await readFile(sts, "utf8")).trimEnd().split("\n");
    await writeFile(
      reversed,
      `${[
        lines[0],
        ...lines.slice(1).map((line) => {
          const [a, b, score] = line.split("\t");
          return `${b}\t${a}\t${score}`;
        }),
      ].join("\n")}\n`,
    );
    const copy = path.join(work, "copy.tsv");
    await writeFile(copy, `${lines.join("\n")}\n`);
    const short = path.join(work, "short.tsv");
    await writeFile(short, `${lines.slice(0, 20).join("\n")}\n`);
    const spec = (file: string) =>
      `{ kind: scored-pairs, file: ${file}, format: tsv, header: true, scoreRange: [0, 5] }`;
    const parallel = `{ kind: parallel, file: ${path.join(repositoryRoot, "datasets", "en-de", "test.tsv")}, format: tsv, header: true, columns: { source: en, target: de } }`;
    const recipeFile = path.join(work, "recipe.yaml");
    await writeFile(
      recipeFile,
      `name: evaluate-only
steps:
  - step: evaluate
    name: scores
    model: ${path.join(fixturesRoot, "tiny-bert")}
    tasks:
      - { task: sts, name: plain, data: ${spec(sts)} }
      - { task: sts, name: swapped, data: ${spec(sts)}, pairWith: ${spec(reversed)} }
      - { task: sts, name: copy, data: ${spec(sts)}, pairWith: ${spec(copy)} }
      - { task: retrieval, name: en-de, data: ${parallel} }
      - { task: mining, name: en-de-mining, data: ${parallel} }
      - { task: mse, name: en-de-mse, teacher: ${path.join(fixturesRoot, "tiny-bert")}, data: ${parallel} }
`,
    );
    const outcome = await runRecipe(await loadRecipe(recipeFile), { output: path.join(work, "run") });
    const metrics = outcome.results[0]!.after;
    // sentence2 comes from the pairWith file row by row: a copy changes nothing, the reversed file
    // makes every pair a sentence with itself.
    assert.equal(metrics["copy/spearman"], metrics["plain/spearman"]);
    assert.notEqual(metrics["swapped/spearman"], metrics["plain/spearman"]);
    assert.ok(metrics["plain/spearman"]! > -1 && metrics["plain/spearman"]! < 1);
    for (const name of [
      "en-de/source_to_target",
      "en-de/target_to_source",
      "en-de-mining/f1",
      "en-de-mining/precision",
    ]) {
      assert.ok(metrics[name]! >= 0 && metrics[name]! <= 1, `${name} = ${metrics[name]}`);
    }
    assert.equal(metrics["en-de/pairs"], 150);
    // The summary names each metric for people, in the recipe data's languages, with n and chance.
    assert.match(outcome.table, /scores\s+plain: Spearman correlation with gold similarity scores\s/);
    assert.match(outcome.table, /en-de: top-1 retrieval accuracy, English → German\s+150\s+0\.67%\s+\d+\.\d%/);
    assert.doesNotMatch(outcome.table, /en-de\/pairs|test pairs/, "the count is n, not a row");
    // Every task records its n in a run, not retrieval alone: the table gives each figure its pairs.
    assert.deepEqual(
      ["plain", "swapped", "en-de-mining", "en-de-mse"].map((task) => metrics[`${task}/pairs`]),
      [100, 100, 150, 150],
    );
    assert.match(outcome.table, /plain: Spearman correlation with gold similarity scores\s+100\s/);
    assert.match(outcome.table, /en-de-mining: bitext mining F1, English–German\s+150\s/);
    assert.match(outcome.table, /en-de-mse: mean squared error to the teacher, English sentences\s+150\s/);
    assert.doesNotMatch(outcome.table, /\/pairs|test pairs|[▲▼]/, "counts are no rows and no changes");
    await writeFile(
      recipeFile,
      `name: mismatch
steps:
  - step: evaluate
    name: scores
    model: ${path.join(fixturesRoot, "tiny-bert")}
    tasks: [{ task: sts, name: short, data: ${spec(sts)}, pairWith: ${spec(short)} }]
`,
    );
    await assert.rejects(
      runRecipe(await loadRecipe(recipeFile), { output: path.join(work, "run2") }),
      /pairWith has 19 rows, data has 100/,
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
