import assert from "node:assert/strict";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { loadSentenceEncoder } from "../src/io/encoder-checkpoint.js";
import { loadTfjsDirectory } from "../src/io/tfjs/read-back.js";
import { loadRecipe } from "../src/recipes/load.js";
import { runRecipe } from "../src/recipes/run.js";
import { useBackend } from "./helpers/backends.js";
import { fixturesRoot, skipWithoutFixtures } from "./helpers/fixtures.js";

test("export steps write sentence-transformers and tfjs folders that load back with the same vectors", {
  skip: skipWithoutFixtures,
}, async () => {
  await useBackend("wasm");
  const work = await mkdtemp(path.join(tmpdir(), "babelbed-recipe-export-"));
  try {
    const model = path.join(fixturesRoot, "tiny-bert");
    const recipeFile = path.join(work, "export.yaml");
    await writeFile(
      recipeFile,
      `name: export-both
steps:
  - { step: export, name: python, model: ${model}, output: student }
  - { step: export, name: browser, model: ${model}, output: student-web, format: tfjs }
`,
    );
    const lines: string[] = [];
    const output = path.join(work, "run");
    await runRecipe(await loadRecipe(recipeFile), { output, log: (line) => lines.push(line) });
    assert.ok(
      lines.some((line) => /^browser: exported .* \(tfjs, \d+ weight shards; read back, vectors within /.test(line)),
      lines.join("\n"),
    );
    for (const file of ["model.json", "vocab.txt", "babelbed-tfjs.js", "index.html"])
      assert.ok((await stat(path.join(output, "student-web", file))).isFile(), file);

    const sentences = ["A man is playing a guitar.", "Ein Mann spielt Gitarre.", "男がギターを弾いている。"];
    const python = await loadSentenceEncoder(path.join(output, "student"));
    const browser = await loadTfjsDirectory(path.join(output, "student-web"));
    try {
      const [expected, actual] = [await python.encode(sentences), await browser.encode(sentences)];
      expected.forEach((vector, row) =>
        vector.forEach((value, column) =>
          assert.ok(Math.abs(value - actual[row]![column]!) <= 1e-5, `row ${row}, column ${column}`),
        ),
      );
    } finally {
      python.dispose();
      browser.dispose();
    }

    await writeFile(
      recipeFile,
      `name: bad-format\nsteps:\n  - { step: export, name: onnx, model: ${model}, output: out, format: onnx }\n`,
    );
    await assert.rejects(loadRecipe(recipeFile), /steps\.0\.format.*sentence-transformers.*tfjs/s);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
