import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { checkpointPageContent } from "../src/cli/export-page.js";
import { saveTfjsEncoder } from "../src/io/tfjs/layout.js";
import type { PageContent } from "../src/io/tfjs/page.js";
import { builtInSamples } from "../src/io/tfjs/samples.js";
import type { RunContext } from "../src/recipes/context.js";
import { loadRecipe } from "../src/recipes/load.js";
import { languagesInFileName, pageContent } from "../src/recipes/page-content.js";
import { launchChromium, skipWithoutChromium } from "./helpers/browser.js";
import { repositoryRoot } from "./helpers/fixtures.js";
import { serveDirectory } from "./helpers/static-server.js";
import { tinyEncoder, tinySentences } from "./helpers/tiny-encoder.js";

const japanese = /[\u3040-\u30ff\u4e00-\u9fff]/;

/** A recipe whose student learns German from datasets/en-de, exported for the browser. */
async function germanRecipe(work: string) {
  const file = path.join(work, "en-de-mini.yaml");
  const data = path.join(repositoryRoot, "datasets", "en-de", "train.tsv");
  await writeFile(
    file,
    `name: en-de-mini
steps:
  - step: distill
    name: student
    teacher: ${path.join(work, "teacher")}
    student: { fresh: { hiddenSize: 32, layers: 1, heads: 2, intermediateSize: 64, vocabulary: { size: 200 } } }
    data:
      - { kind: parallel, file: ${data}, format: tsv, header: true, columns: { source: en, target: de } }
  - { step: export, name: web, model: student, output: student-web, format: tfjs }
`,
  );
  return loadRecipe(file);
}

async function germanContent(work: string): Promise<PageContent> {
  const loaded = await germanRecipe(work);
  const step = loaded.recipe.steps[1]!;
  assert.equal(step.step, "export");
  const logged: string[] = [];
  const context = {
    recipe: loaded.recipe,
    recipeDirectory: loaded.directory,
    log: (line: string) => logged.push(line),
  } as unknown as RunContext;
  const content = await pageContent(context, step as Extract<typeof step, { step: "export" }>);
  assert.deepEqual(logged, []);
  return content;
}

test("the page's languages come from the data's file names, its samples from the run's data or a built-in list per language", async () => {
  assert.deepEqual(languagesInFileName("../../shared/data/stsb-multi-mt/stsb-de-train.csv"), ["de"]);
  assert.deepEqual(languagesInFileName("../../shared/data/tatoeba/tatoeba.deu-eng.deu"), ["de", "en", "de"]);
  assert.deepEqual(languagesInFileName("datasets/en-ja/train.tsv"), ["en", "ja"]);
  assert.deepEqual(languagesInFileName("corpus/train.tsv"), []);

  const work = await mkdtemp(path.join(tmpdir(), "babelbed-page-"));
  try {
    const content = await germanContent(work);
    assert.equal(content.name, "en-de-mini student");
    assert.deepEqual(content.languages, ["en", "de"]);
    // Three short pairs of datasets/en-de/train.tsv, English then German.
    const rows = (await readFile(path.join(repositoryRoot, "datasets", "en-de", "train.tsv"), "utf8"))
      .split("\n")
      .slice(1)
      .map((line) => line.split("\t"));
    assert.equal(content.samples?.length, 6);
    for (let index = 0; index < 6; index += 2) {
      assert.ok(
        rows.some(([english, german]) => english === content.samples![index] && german === content.samples![index + 1]),
        content.samples![index],
      );
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }

  const french = builtInSamples(["en", "fr"]);
  assert.equal(french.length, 6);
  assert.ok(french.includes("Il fait très beau aujourd'hui.") && french.includes("The weather is lovely today."));
  assert.ok(!french.some((sentence) => japanese.test(sentence)), "no Japanese for a model that has none");
  assert.deepEqual(builtInSamples([]), [
    "The weather is lovely today.",
    "The train leaves at seven o'clock.",
    "My sister is reading a book.",
  ]);
});

interface Shown {
  title: string;
  heading: string;
  textarea: string;
  rows: number;
  bestPerRow: number[];
  shaded: number;
  scrollWidth: number;
}

/**
 * Serve an export, open it with no click: it must embed its samples on load. Returns what the
 * page shows, checked at `widths`, and saves a screenshot as `name`.png.
 */
async function openPage(dir: string, name: string, widths: number[]): Promise<Shown[]> {
  const server = await serveDirectory(dir);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => void errors.push(String(error)));
    const shown: Shown[] = [];
    for (const width of widths) {
      await page.setViewport({ width, height: 900 });
      await page.goto(`${server.origin}/index.html`);
      await page.waitForFunction(
        () => document.body.dataset.state === "done" || document.body.dataset.state === "error",
        { timeout: 30_000 },
      );
      assert.equal(
        await page.evaluate(() => document.body.dataset.state),
        "done",
        await page.evaluate(() => String(document.getElementById("status")?.textContent)),
      );
      shown.push(
        await page.evaluate(() => {
          const rows = Array.from(document.querySelectorAll("#similarities tr")).slice(1);
          return {
            title: document.title,
            heading: document.querySelector("h1")?.textContent ?? "",
            textarea: (document.getElementById("sentences") as HTMLTextAreaElement).value,
            rows: rows.length,
            bestPerRow: rows.map((row) => row.querySelectorAll("td.best").length),
            shaded: Array.from(document.querySelectorAll("#similarities td")).filter(
              (cell) => (cell as HTMLElement).style.background !== "",
            ).length,
            scrollWidth: document.documentElement.scrollWidth,
          };
        }),
      );
      // BABELBED_SCREENSHOTS=DIR keeps them for a look; by default they go with the temp dir.
      const shots = process.env.BABELBED_SCREENSHOTS ?? dir;
      await mkdir(shots, { recursive: true });
      const screenshot = path.join(shots, `${name}-${width}.png`);
      await page.screenshot({ path: screenshot as `${string}.png`, fullPage: true });
      assert.ok((await stat(screenshot)).size > 20_000, "a screenshot with content");
    }
    assert.deepEqual(errors, []);
    return shown;
  } finally {
    await browser.close();
    await server.close();
  }
}

test("the exported page names its model and languages, embeds its samples on load and marks each row's best match in a heat map", {
  skip: skipWithoutChromium,
}, async () => {
  const work = await mkdtemp(path.join(tmpdir(), "babelbed-page-"));
  const encoder = await tinyEncoder(3, {
    sentences: [...tinySentences, "the weather is lovely today", "das wetter ist heute schön", "il fait très beau"],
  });
  try {
    // A German model, its samples from its run's data.
    const german = await germanContent(work);
    await saveTfjsEncoder(encoder, path.join(work, "german"), german);
    for (const [index, view] of (await openPage(path.join(work, "german"), "page-german", [1280, 420])).entries()) {
      assert.equal(view.title, "en-de-mini student · English, German · babelbed");
      assert.equal(view.heading, "en-de-mini student");
      assert.equal(view.textarea, german.samples!.join("\n"));
      assert.equal(view.rows, 6);
      assert.deepEqual(view.bestPerRow, [1, 1, 1, 1, 1, 1], "one best match per row");
      assert.equal(view.shaded, 30, "every cell but the diagonal coloured by its cosine");
      assert.ok(
        view.scrollWidth <= [1280, 420][index]!,
        `the page is ${view.scrollWidth} px wide in a ${[1280, 420][index]} px window`,
      );
    }
    const model = JSON.parse(await readFile(path.join(work, "german", "model.json"), "utf8")) as {
      babelbed: { about?: unknown };
    };
    assert.deepEqual(model.babelbed.about, { name: "en-de-mini student", languages: ["en", "de"] });

    // A model with no Japanese (English and French, named by `babelbed export --languages`): built-in samples, none Japanese.
    const checkpoint = path.join(work, "runs", "fr-demo", "student");
    await mkdir(checkpoint, { recursive: true });
    await writeFile(path.join(work, "runs", "fr-demo", "recipe.resolved.yaml"), "name: fr-demo\nsteps: []\n");
    await saveTfjsEncoder(encoder, path.join(work, "french"), await checkpointPageContent(checkpoint, ["en", "fr"]));
    const [french] = await openPage(path.join(work, "french"), "page-french", [1280]);
    assert.equal(french!.title, "fr-demo student · English, French · babelbed");
    assert.equal(french!.textarea, builtInSamples(["en", "fr"]).join("\n"));
    assert.doesNotMatch(french!.textarea, japanese);
    assert.deepEqual(french!.bestPerRow, [1, 1, 1, 1, 1, 1]);
    assert.ok(french!.scrollWidth <= 1280);
  } finally {
    encoder.dispose();
    await rm(work, { recursive: true, force: true });
  }
});
