import assert from "node:assert/strict";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { parse, stringify } from "yaml";
import { main } from "../src/cli/program.js";
import { cardFacts } from "../src/recipes/card-facts.js";
import { cardFactsFromRunModel } from "../src/recipes/run-model-card.js";
import { loadRecipe } from "../src/recipes/load.js";
import type { StepResult } from "../src/recipes/run-directory.js";
import { runRecipe } from "../src/recipes/run.js";
import { createJapaneseSegmenter, loadTokenizer } from "../src/text/index.js";
import { formatNumber } from "../src/util/format.js";
import { useBackend } from "./helpers/backends.js";
import { fixturesRoot, repositoryRoot, skipWithoutFixtures } from "./helpers/fixtures.js";

let work = "";
before(async () => {
  work = await mkdtemp(path.join(tmpdir(), "babelbed-model-card-"));
});
after(async () => rm(work, { recursive: true, force: true }));

/** The YAML front matter and the Markdown body of a card. */
function splitCard(card: string): { front: Record<string, unknown>; body: string } {
  const match = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(card);
  assert.ok(match, "the card starts with YAML front matter");
  return { front: parse(match[1] as string) as Record<string, unknown>, body: match[2] as string };
}

describe("model cards of sentence-transformers exports", { skip: skipWithoutFixtures }, () => {
  test("a recipe export: front matter, description, usage, the run's figures and its recipe", async () => {
    await useBackend("wasm");
    const model = path.join(fixturesRoot, "tiny-bert");
    const data = path.join(repositoryRoot, "datasets", "en-ja", "test.tsv");
    const recipeFile = path.join(work, "card.yaml");
    await writeFile(
      recipeFile,
      `name: card
steps:
  - step: evaluate
    name: check
    model: ${model}
    tasks:
      - { task: retrieval, name: en-ja, data: { kind: parallel, file: ${data}, format: tsv, header: true, columns: { source: en, target: ja } } }
  - { step: export, name: python, model: ${model}, output: student, languages: [en, ja] }
`,
    );
    const lines: string[] = [];
    const output = path.join(work, "run");
    await runRecipe(await loadRecipe(recipeFile), { output, log: (line) => lines.push(line) });
    assert.ok(
      lines.some((line) => /^python: exported .* \(with a model card, README\.md\)$/.test(line)),
      lines.join("\n"),
    );
    assert.ok(
      !lines.some((line) => line.includes("warning")),
      "no segmentation warning for a model without a segmenter",
    );

    const { front, body } = splitCard(await readFile(path.join(output, "student", "README.md"), "utf8"));
    assert.deepEqual(front.language, ["en", "ja"]);
    assert.equal(front.library_name, "sentence-transformers");
    assert.equal(front.pipeline_tag, "sentence-similarity");
    assert.ok((front.tags as string[]).includes("sentence-transformers"));
    assert.equal(front.base_model, undefined, "a local directory is no hub id");
    // tiny-bert: hidden 32, mean pooling, max_seq_length 32 in its sentence_bert_config.json.
    assert.match(body, /\*\*Output Dimensionality:\*\* 32 dimensions/);
    assert.match(body, /\*\*Transformer:\*\* BertModel/);
    assert.match(body, /\*\*Languages:\*\* en, ja/);
    assert.match(body, /from sentence_transformers import SentenceTransformer/);
    assert.match(body, /import \{ loadSentenceEncoder \} from "babelbed"/);
    // Every export small enough writes onnx/model.onnx, and the card says how Python loads it.
    assert.ok(
      lines.some((line) => line.includes("wrote onnx/model.onnx")),
      lines.join("\n"),
    );
    assert.match(body, /SentenceTransformer\("path\/to\/student", backend="onnx"\)/);
    // The evaluate step's figures, as the run recorded them.
    const summary = JSON.parse(await readFile(path.join(output, "state.json"), "utf8")) as {
      completed: { step: string; after: Record<string, number> }[];
    };
    const figures = summary.completed.find((result) => result.step === "check")?.after ?? {};
    assert.ok(Object.keys(figures).length > 0);
    // Named for people in the data's languages, in the one number format, with n; the count is n, not a row.
    assert.equal(figures["en-ja/pairs"], 150);
    const percent = (metric: string) => formatNumber(figures[metric]!, "%");
    for (const [metric, name] of [
      ["en-ja/source_to_target", "top-1 retrieval accuracy, English → Japanese"],
      ["en-ja/target_to_source", "top-1 retrieval accuracy, Japanese → English"],
    ] as const)
      assert.ok(body.includes(`| ${name} | check: en-ja | ${percent(metric)} | 150 |`), `${metric}\n${body}`);
    const evaluation = body.slice(body.indexOf("## Evaluation"), body.indexOf("## Training Details"));
    assert.doesNotMatch(evaluation, /source_to_target|en-ja\/|test pairs/, "no raw metric keys, no count row");
    assert.match(body, /```yaml\n[\s\S]*name: card[\s\S]*step: export[\s\S]*```/);
    assert.doesNotMatch(body, /segmented first/);
  });

  test("a model that segments Japanese: one warning, and the command the card gives makes Python's ids babelbed's", async () => {
    await useBackend("wasm");
    // tiny-bert told to segment Japanese with kuromoji, as a student trained with segment: [ja] is.
    const model = path.join(work, "segmenting");
    await cp(path.join(fixturesRoot, "tiny-bert"), model, { recursive: true });
    const configFile = path.join(model, "tokenizer_config.json");
    const config = JSON.parse(await readFile(configFile, "utf8")) as Record<string, unknown>;
    await writeFile(configFile, JSON.stringify({ ...config, babelbed: { segmenter: "ja" } }));
    const recipeFile = path.join(work, "segmenting.yaml");
    await writeFile(
      recipeFile,
      `name: segmenting\nsteps:\n  - { step: export, name: python, model: ${model}, output: student }\n`,
    );
    const lines: string[] = [];
    const output = path.join(work, "segmenting-run");
    await runRecipe(await loadRecipe(recipeFile), { output, log: (line) => lines.push(line) });
    const warnings = lines.filter((line) => line.includes("warning"));
    assert.equal(warnings.length, 1, lines.join("\n"));
    assert.match(warnings[0] as string, /pre-segments Japanese with kuromoji.*sentence-transformers cannot/);

    const card = await readFile(path.join(output, "student", "README.md"), "utf8");
    const { front, body } = splitCard(card);
    assert.deepEqual(front.language, ["ja"]);
    const command = /npx babelbed segment --language ja --input sentences\.txt --output segmented\.txt/.exec(body);
    assert.ok(command, "the card names the command to run first");

    // Run that command, then tokenize its lines as Python does (no segmenter): the same ids as babelbed's.
    const sentences = ["私は東京に住んでいます。", "今日はいい天気ですね", "猫がソファーの上で寝ている。"];
    const input = path.join(work, "sentences.txt");
    const segmented = path.join(work, "segmented.txt");
    await writeFile(input, `${sentences.join("\n")}\n`);
    assert.equal(await main(["segment", "--language", "ja", "--input", input, "--output", segmented]), 0);
    const lines2 = (await readFile(segmented, "utf8")).split("\n").slice(0, sentences.length);
    const babelbed = await loadTokenizer(path.join(output, "student"));
    const python = await loadTokenizer(path.join(output, "student"), { segmenter: { segment: (text) => text } });
    const japanese = await createJapaneseSegmenter();
    sentences.forEach((sentence, index) => {
      assert.equal(lines2[index], japanese.segment(sentence));
      assert.deepEqual(python.encode(lines2[index] as string).inputIds, babelbed.encode(sentence).inputIds, sentence);
      assert.notDeepEqual(
        python.encode(sentence).inputIds,
        babelbed.encode(sentence).inputIds,
        "unsegmented text differs",
      );
    });
    assert.equal(await main(["segment", "--language", "de", "--input", input, "--output", segmented]), 2);
  });
});

describe("what a run knows about its models", () => {
  test("teacher, starting model, figures and languages of a distilled student, also from its run directory", async () => {
    const { recipe } = await loadRecipe(path.join(repositoryRoot, "recipes", "ci", "quickstart-tiny.yaml"));
    const completed: StepResult[] = [
      { step: "teacher", kind: "training", after: { "en-sts/spearman": 0.5 }, seconds: 1 },
      { step: "student", kind: "training", after: { "en-ja/accuracy": 0.25, "en-sts/spearman": 0.4 }, seconds: 1 },
    ];
    const facts = cardFacts(recipe, "name: quickstart-ci\n", "student", completed);
    assert.match(
      facts.teacher ?? "",
      /^teacher \(made by this recipe's train-teacher step, fresh BERT encoder trained from scratch \(2 layers, hidden 128/,
    );
    assert.match(
      facts.baseModel ?? "",
      /^fresh BERT encoder trained from scratch \(1 layer, hidden 128, 4 heads, WordPiece vocabulary of 6000\)$/,
    );
    assert.deepEqual(
      facts.metrics,
      { "en-ja/accuracy": 0.25, "en-sts/spearman": 0.4 },
      "the student's figures, not the teacher's",
    );
    assert.deepEqual(facts.languages, ["ja"], "without a languages field: the segmented ones");
    assert.deepEqual(cardFacts(recipe, "", "student", completed, ["en", "ja", "de"]).languages, ["en", "ja", "de"]);
    // Each figure described by the recipe's task: its languages from the data's columns, its unit.
    assert.deepEqual(
      facts.figures?.map(({ description, value }) => [description.name, description.unit, value]),
      [
        ["top-1 retrieval accuracy, English ↔ Japanese (mean of both directions)", "%", 0.25],
        ["Spearman correlation with gold similarity scores", "correlation", 0.4],
      ],
    );

    // babelbed export --checkpoint runs/<name>/models/student finds the same facts in the run directory.
    const run = path.join(work, "fake-run");
    await mkdir(path.join(run, "models", "student"), { recursive: true });
    await writeFile(path.join(run, "recipe.resolved.yaml"), `# resolved from somewhere.yaml\n${stringify(recipe)}`);
    await writeFile(path.join(run, "state.json"), JSON.stringify({ completed, started: {} }));
    const fromRun = await cardFactsFromRunModel(path.join(run, "models", "student"), ["en", "ja"]);
    assert.deepEqual(fromRun?.metrics, facts.metrics);
    assert.equal(fromRun?.teacher, facts.teacher);
    assert.doesNotMatch(fromRun?.recipe ?? "", /^# resolved from/);
    assert.equal(await cardFactsFromRunModel(path.join(fixturesRoot, "tiny-bert")), undefined, "not a run's model");
  });
});
