import assert from "node:assert/strict";
import { cp, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { before, test } from "node:test";
import { saveSentenceEncoder } from "../src/io/encoder-checkpoint.js";
import { babelbedInProcess as babelbed } from "./helpers/cli.js";
import { editJson, editSafetensors } from "./helpers/model-edits.js";
import { repositoryRoot } from "./helpers/fixtures.js";
import { scratchDirectories } from "./helpers/scratch.js";
import { tinyEncoder } from "./helpers/tiny-encoder.js";
import { tinyRecipeText } from "./helpers/tiny-run.js";

/**
 * The corrupt-input corpus: recipes, data files, model directories and teacher caches a user can
 * hand babelbed, each with the exit code and the message it must give (2 and a named file for
 * input errors), never a stack trace and never a screenful.
 */
interface Case {
  name: string;
  /** Files of the case folder (text, bytes, or JSON); "MODEL" copies a good tiny model there first. */
  files?: Record<string, string | Buffer | object>;
  model?: (dir: string) => Promise<void>;
  args: (dir: string) => string[];
  code: number;
  message: RegExp;
  /** What else must hold afterwards. */
  check?: (dir: string) => Promise<void>;
}

const scratch = scratchDirectories("corpus");
let goodModel = "";
const sts = path.join(repositoryRoot, "datasets", "en-sts", "test.tsv");
const parallel = path.join(repositoryRoot, "datasets", "en-ja", "test.tsv");

before(async () => {
  goodModel = path.join(scratch(), "good");
  const encoder = await tinyEncoder(5);
  await saveSentenceEncoder(encoder, goodModel);
  encoder.dispose();
  process.env.BABELBED_CACHE = path.join(scratch(), "cache");
});

const run = (dir: string, ...flags: string[]) => [
  "run",
  path.join(dir, "r.yaml"),
  "--output",
  path.join(dir, "out"),
  "--device",
  "js",
  ...flags,
];
const evaluate = (dir: string, file: string, ...flags: string[]) => [
  "evaluate",
  "--model",
  path.join(dir, "model"),
  "--task",
  "sts",
  "--data",
  path.join(dir, file),
  "--device",
  "js",
  ...flags,
];
const encode = (dir: string, ...flags: string[]) => [
  "encode",
  "--model",
  path.join(dir, "model"),
  "--input",
  path.join(dir, "in.txt"),
  "--output",
  path.join(dir, "out.jsonl"),
  "--device",
  "js",
  ...flags,
];
const evaluateStep = (model: string, file = sts) =>
  `name: t\nsteps:\n  - step: evaluate\n    name: e\n    model: ${model}\n    tasks:\n      - { task: sts, name: s, data: { kind: scored-pairs, file: ${file}, format: tsv, header: true, scoreRange: [0, 5] } }\n`;
const noModels = async (dir: string) =>
  assert.ok(
    !(await readdir(dir)).includes("out") || !(await readdir(path.join(dir, "out"))).includes("models"),
    "nothing was trained",
  );

const config = (dir: string) => path.join(dir, "model", "config.json");

const recipeCases: Case[] = [
  { name: "recipe file missing", args: run, code: 2, message: /r\.yaml: cannot read \(ENOENT\)/ },
  {
    name: "recipe is a directory",
    files: { "r.yaml/x": "" },
    args: run,
    code: 2,
    message: /r\.yaml: cannot read \(EISDIR\)/,
  },
  {
    name: "invalid YAML",
    files: { "r.yaml": "name: [x\nsteps: 1\n" },
    args: run,
    code: 2,
    message: /r\.yaml:\d+: invalid YAML/,
  },
  {
    name: "YAML alias bomb",
    files: {
      "r.yaml": `a: &a [x, x, x, x, x, x, x, x, x]\n${Array.from({ length: 9 }, (_, i) => `${"bcdefghij"[i]}: &${"bcdefghij"[i]} [*${"abcdefghi"[i]}, *${"abcdefghi"[i]}, *${"abcdefghi"[i]}, *${"abcdefghi"[i]}, *${"abcdefghi"[i]}, *${"abcdefghi"[i]}, *${"abcdefghi"[i]}, *${"abcdefghi"[i]}, *${"abcdefghi"[i]}]`).join("\n")}\n`,
    },
    args: run,
    code: 2,
    message: /r\.yaml: .*alias/i,
  },
  { name: "all-NUL recipe", files: { "r.yaml": Buffer.alloc(100_000) }, args: run, code: 2, message: /r\.yaml:1: / },
  { name: "empty recipe", files: { "r.yaml": "" }, args: run, code: 2, message: /r\.yaml:1: / },
  { name: "recipe is a list", files: { "r.yaml": "- a\n- b\n" }, args: run, code: 2, message: /r\.yaml:1: / },
  { name: "no name", files: { "r.yaml": "steps: []\n" }, args: run, code: 2, message: /field name/ },
  {
    name: "name with a slash",
    files: { "r.yaml": "name: a/b\nsteps: []\n" },
    args: run,
    code: 2,
    message: /r\.yaml:1: field name: letters, digits/,
  },
  { name: "no steps", files: { "r.yaml": "name: t\nsteps: []\n" }, args: run, code: 2, message: /field steps/ },
  {
    name: "unknown step kind",
    files: { "r.yaml": "name: t\nsteps:\n  - { step: teach, name: a }\n" },
    args: run,
    code: 2,
    message: /r\.yaml:3: field steps\.0\.step/,
  },
  {
    name: "unknown field in a step",
    files: { "r.yaml": evaluateStep("x").replace("    model: x\n", "    model: x\n    colour: red\n") },
    args: run,
    code: 2,
    message: /r\.yaml:\d+: .*colour/,
  },
  {
    name: "duplicate step names",
    files: { "r.yaml": evaluateStep("x") + evaluateStep("x").split("steps:\n")[1] },
    args: run,
    code: 2,
    message: /step name "e" is used twice/,
  },
  {
    name: "model with from and fresh",
    files: { "r.yaml": tinyRecipeText().replace("pooling: mean", "pooling: mean\n      from: somewhere") },
    args: run,
    code: 2,
    message: /exactly one of from or fresh/,
  },
  {
    name: "negative learning rate",
    files: { "r.yaml": tinyRecipeText().replace("learningRate: 1.0e-3", "learningRate: -1") },
    args: run,
    code: 2,
    message: /r\.yaml:\d+: field steps\.0\.training\.learningRate/,
  },
  {
    name: "seed not a whole number",
    files: { "r.yaml": tinyRecipeText().replace("seed: 7", "seed: 1.5") },
    args: run,
    code: 2,
    message: /r\.yaml:2: field seed/,
  },
  {
    name: "data file missing (step 1)",
    files: { "r.yaml": tinyRecipeText().replace("en-sts/train.tsv", "en-sts/nope.tsv") },
    args: run,
    code: 2,
    message: /r\.yaml:\d+: field steps\.0\.objectives\.0\.data\.file: .*nope\.tsv does not exist/,
    check: noModels,
  },
  {
    name: "data file missing (step 2) is found before step 1 trains",
    files: { "r.yaml": tinyRecipeText().replace("en-sts/test.tsv", "en-sts/nope.tsv") },
    args: run,
    code: 2,
    message: /r\.yaml:\d+: field steps\.1\.tasks\.0\.data\.file: .*nope\.tsv does not exist/,
    check: noModels,
  },
  {
    name: "data file is a directory",
    files: {
      "r.yaml": tinyRecipeText().replace(
        path.join(repositoryRoot, "datasets", "en-sts", "test.tsv"),
        path.join(repositoryRoot, "datasets"),
      ),
    },
    args: run,
    code: 2,
    message: /datasets is not a file/,
  },
  {
    name: "one of two aligned files missing",
    files: {
      "r.yaml": `name: t\nsteps:\n  - step: evaluate\n    name: e\n    model: MODEL_DIR\n    tasks:\n      - task: retrieval\n        name: r\n        data: { kind: parallel, files: { source: a.txt, target: b.txt }, format: lines }\n`,
      "a.txt": "x\n",
    },
    args: run,
    code: 2,
    message: /r\.yaml:9: field steps\.0\.tasks\.0\.data\.files\.target: .*b\.txt does not exist/,
  },
  {
    name: "excludePairsIn file missing",
    files: {
      "r.yaml": evaluateStep("MODEL_DIR").replace(
        /- \{ task: sts.*\}/,
        `- { task: retrieval, name: r, data: { kind: parallel, file: ${parallel}, format: tsv, header: true }, excludePairsIn: [{ kind: parallel, file: gone.tsv, format: tsv }] }`,
      ),
    },
    args: run,
    code: 2,
    message: /excludePairsIn\.0\.file: .*gone\.tsv does not exist/,
  },
  {
    name: "header-only training data",
    files: {
      "r.yaml": tinyRecipeText().replace(/file: \S*en-sts\/train\.tsv/, "file: h.tsv"),
      "h.tsv": "sentence1\tsentence2\tscore\n",
    },
    args: run,
    code: 2,
    message: /h\.tsv: no rows of scored-pairs data \(steps\.0\.objectives\.0\.data\)/,
    check: noModels,
  },
  {
    name: "reference to a step that does not exist",
    files: { "r.yaml": tinyRecipeText().replace("model: teacher", "model: teachr") },
    args: run,
    code: 2,
    message:
      /r\.yaml:\d+: field steps\.1\.model: "teachr" is neither an earlier step \(teacher\) nor a model directory/,
    check: noModels,
  },
  {
    name: "reference to a later step",
    files: { "r.yaml": `${evaluateStep("later")}  - { step: export, name: later, model: e, output: x }\n` },
    args: run,
    code: 2,
    message: /field steps\.0\.model: step "later" is not an earlier step/,
  },
  {
    name: "model directory without config.json",
    files: { "r.yaml": evaluateStep("m"), "m/x.txt": "" },
    args: run,
    code: 2,
    message: /r\.yaml:5: field steps\.0\.model: .*m: neither modules\.json nor config\.json/,
  },
  {
    name: "model directory with broken config.json",
    files: { "r.yaml": evaluateStep("m"), "m/config.json": "{", "m/model.safetensors": "" },
    args: run,
    code: 2,
    message: /field steps\.0\.model: .*config\.json: invalid JSON/,
  },
  {
    name: "model directory of an unknown architecture",
    files: {
      "r.yaml": evaluateStep("m"),
      "m/config.json": { model_type: "gpt2" },
      "m/model.safetensors": "",
      "m/vocab.txt": "[CLS]\n",
    },
    args: run,
    code: 2,
    message: /r\.yaml:5: field steps\.0\.model: .*m\/config\.json: field "hidden_size"/,
  },
  {
    name: "unknown task",
    files: { "r.yaml": evaluateStep("x").replace("task: sts", "task: bleu") },
    args: run,
    code: 2,
    message: /r\.yaml:\d+: field steps\.0\.tasks\.0/,
  },
  {
    name: "score range upside down",
    files: { "r.yaml": evaluateStep("x").replace("scoreRange: [0, 5]", "scoreRange: [5, 0]") },
    args: run,
    code: 2,
    message: /r\.yaml:\d+: .*scoreRange/,
  },
  {
    name: "--resume with --restart",
    files: { "r.yaml": tinyRecipeText() },
    args: (dir) => run(dir, "--resume", "--restart"),
    code: 2,
    message: /exclude each other/,
  },
  {
    name: "--output is a file",
    files: { "r.yaml": tinyRecipeText(), out: "x" },
    args: run,
    code: 2,
    message: /out: not a directory/,
  },
  {
    name: "--output a folder babelbed did not make",
    files: { "r.yaml": tinyRecipeText(), "out/models/my.bin": "mine" },
    args: run,
    code: 2,
    message: /out is not empty and is not a babelbed run directory/,
    check: async (dir) => assert.equal(await readFile(path.join(dir, "out", "models", "my.bin"), "utf8"), "mine"),
  },
  {
    name: "--device unknown",
    files: { "r.yaml": tinyRecipeText() },
    args: (dir) => ["run", path.join(dir, "r.yaml"), "--device", "tpu"],
    code: 2,
    message: /expected one of auto/,
  },
];

const keep = async () => undefined;
const header = "sentence1\tsentence2\tscore\n";
const dataCases: Case[] = [
  {
    name: "data file missing",
    model: keep,
    args: (dir) => evaluate(dir, "gone.tsv"),
    code: 2,
    message: /gone\.tsv: cannot read \(ENOENT\)|gone\.tsv.*(not exist|ENOENT)/,
  },
  {
    name: "header-only data",
    model: keep,
    files: { "d.tsv": header },
    args: (dir) => evaluate(dir, "d.tsv", "--header"),
    code: 2,
    message: /d\.tsv: no rows of scored-pairs data/,
  },
  {
    name: "empty data file",
    model: keep,
    files: { "d.tsv": "" },
    args: (dir) => evaluate(dir, "d.tsv"),
    code: 2,
    message: /d\.tsv: no rows/,
  },
  {
    name: "score not a number",
    model: keep,
    files: { "d.tsv": `${header}a\tb\tabc\n` },
    args: (dir) => evaluate(dir, "d.tsv", "--header"),
    code: 2,
    message: /d\.tsv:2: field score: .*--skip-bad-rows/,
  },
  {
    name: "too few columns",
    model: keep,
    files: { "d.tsv": `${header}a\tb\n` },
    args: (dir) => evaluate(dir, "d.tsv", "--header"),
    code: 2,
    message: /d\.tsv:2: /,
  },
  {
    name: "score outside the range",
    model: keep,
    files: { "d.tsv": `${header}a\tb\t9\nc\td\t1\n` },
    args: (dir) => evaluate(dir, "d.tsv", "--header"),
    code: 2,
    message: /d\.tsv:2: .*outside the score range/,
  },
  {
    name: "invalid UTF-8",
    model: keep,
    files: {
      "d.tsv": Buffer.concat([
        Buffer.from(`${header}a\tb\t1\n`),
        Buffer.from([0x66, 0xc3, 0x28, 0x09, 0x62, 0x09, 0x31, 0x0a]),
      ]),
    },
    args: (dir) => evaluate(dir, "d.tsv", "--header"),
    code: 2,
    message: /d\.tsv:3: /,
  },
  {
    name: "all-NUL data file",
    model: keep,
    files: { "d.tsv": Buffer.alloc(100_000) },
    args: (dir) => evaluate(dir, "d.tsv", "--header"),
    code: 2,
    message: /d\.tsv:1: /,
  },
  {
    name: "jsonl line that is not JSON",
    model: keep,
    files: { "d.jsonl": '{"sentence1": "a", "sentence2": "b", "score": 1}\n{oops\n' },
    args: (dir) => evaluate(dir, "d.jsonl"),
    code: 2,
    message: /d\.jsonl:2: /,
  },
  {
    name: "csv with an unclosed quote",
    model: keep,
    files: { "d.csv": 'sentence1,sentence2,score\n"a,b,1\nc,d,2\n' },
    args: (dir) => evaluate(dir, "d.csv", "--header"),
    code: 2,
    message: /d\.csv:2: /,
  },
  {
    name: "every row bad, skipped",
    model: keep,
    files: { "d.tsv": `${header}a\tb\tx\nc\td\ty\n` },
    args: (dir) => evaluate(dir, "d.tsv", "--header", "--skip-bad-rows"),
    code: 2,
    message: /d\.tsv: no rows/,
  },
  {
    name: "every gold score equal",
    model: keep,
    files: { "d.tsv": `${header}a\tb\t1\nc\td\t1\ne\tf\t1\n` },
    args: (dir) => evaluate(dir, "d.tsv", "--header"),
    code: 2,
    message: /every gold score is the same/,
  },
  {
    name: "one row",
    model: keep,
    files: { "d.tsv": `${header}a\tb\t1\n` },
    args: (dir) => evaluate(dir, "d.tsv", "--header"),
    code: 2,
    message: /1 pair; a correlation needs at least 2/,
  },
  {
    name: "data is a directory",
    model: keep,
    files: { "d.tsv/x": "" },
    args: (dir) => evaluate(dir, "d.tsv"),
    code: 2,
    message: /d\.tsv: cannot read \(EISDIR\)/,
  },
  {
    name: "aligned files of different lengths",
    model: keep,
    files: { "a.txt": "x\ny\n", "b.txt": "x\n" },
    args: (dir) => [
      "evaluate",
      "--model",
      path.join(dir, "model"),
      "--task",
      "retrieval",
      "--source",
      path.join(dir, "a.txt"),
      "--target",
      path.join(dir, "b.txt"),
      "--device",
      "js",
    ],
    code: 2,
    message: /b\.txt.*1 .*2|a\.txt.*2 .*1/,
  },
  {
    name: "unknown column name",
    model: keep,
    files: { "d.tsv": `${header}a\tb\t1\n` },
    args: (dir) => evaluate(dir, "d.tsv", "--header", "--columns", "score=grade"),
    code: 2,
    message: /grade/,
  },
  {
    name: "--score-range not two numbers",
    model: keep,
    files: { "d.tsv": header },
    args: (dir) => evaluate(dir, "d.tsv", "--score-range", "5"),
    code: 2,
    message: /score-range/,
  },
  {
    name: "mse without --teacher",
    model: keep,
    args: (dir) => [
      "evaluate",
      "--model",
      path.join(dir, "model"),
      "--task",
      "mse",
      "--data",
      parallel,
      "--device",
      "js",
    ],
    code: 2,
    message: /--task mse needs --teacher DIR/,
  },
];

const modelCases: Case[] = [
  {
    name: "model directory missing",
    files: { "in.txt": "a\n" },
    args: encode,
    code: 2,
    message: /model: not a directory/,
  },
  {
    name: "no config.json",
    model: (dir) => rm(config(dir)),
    files: { "in.txt": "a\n" },
    args: encode,
    code: 2,
    message: /model: no config\.json/,
  },
  {
    name: "config.json not JSON",
    model: (dir) => writeFile(config(dir), "{"),
    files: { "in.txt": "a\n" },
    args: encode,
    code: 2,
    message: /config\.json: invalid JSON/,
  },
  {
    name: "config.json without hidden_size",
    model: (dir) => editJson(config(dir), (json) => delete json.hidden_size),
    files: { "in.txt": "a\n" },
    args: encode,
    code: 2,
    message:
      /model\.safetensors: tensor embeddings\.word_embeddings\.weight: expected shape \[\d+, 768\], got \[\d+, 8\]/,
  },
  {
    name: "no weights",
    model: (dir) => rm(path.join(dir, "model", "model.safetensors")),
    files: { "in.txt": "a\n" },
    args: encode,
    code: 2,
    message: /no model weights/,
  },
  {
    name: "weights only as PyTorch pickle",
    model: async (dir) => {
      await rm(path.join(dir, "model", "model.safetensors"));
      await writeFile(path.join(dir, "model", "pytorch_model.bin"), "x");
    },
    files: { "in.txt": "a\n" },
    args: encode,
    code: 2,
    message: /pytorch_model\.bin \(PyTorch pickle\)/,
  },
  {
    name: "forged safetensors header length",
    model: async (dir) => {
      const file = path.join(dir, "model", "model.safetensors");
      const bytes = await readFile(file);
      bytes.writeBigUInt64LE(1n << 40n, 0);
      await writeFile(file, bytes);
    },
    files: { "in.txt": "a\n" },
    args: encode,
    code: 2,
    message: /model\.safetensors: /,
  },
  {
    name: "truncated safetensors",
    model: async (dir) => {
      const file = path.join(dir, "model", "model.safetensors");
      const bytes = await readFile(file);
      await writeFile(file, bytes.subarray(0, bytes.length - 100));
    },
    files: { "in.txt": "a\n" },
    args: encode,
    code: 2,
    message: /model\.safetensors: /,
  },
  {
    name: "NaN weight",
    model: (dir) =>
      editSafetensors(
        path.join(dir, "model", "model.safetensors"),
        (tensors) => (tensors.get("embeddings.LayerNorm.weight")!.data[0] = Number.NaN),
      ),
    files: { "in.txt": "a\n" },
    args: encode,
    code: 2,
    message: /model\.safetensors: tensor "embeddings\.LayerNorm\.weight" holds NaN/,
    check: async (dir) => assert.ok(!(await readdir(dir)).includes("out.jsonl"), "no vectors written"),
  },
  {
    name: "infinite weight",
    model: (dir) =>
      editSafetensors(
        path.join(dir, "model", "model.safetensors"),
        (tensors) => (tensors.get("encoder.layer.0.intermediate.dense.bias")!.data[1] = Number.POSITIVE_INFINITY),
      ),
    files: { "in.txt": "a\n" },
    args: encode,
    code: 2,
    message: /holds Infinity/,
  },
  {
    name: "config with fewer layers than the weights",
    model: (dir) => editJson(config(dir), (json) => (json.num_hidden_layers = 1)),
    files: { "in.txt": "a\n" },
    args: encode,
    code: 2,
    message: /tensors unused .*layers \(1\)/,
  },
  {
    name: "an unknown tensor",
    model: (dir) =>
      editSafetensors(path.join(dir, "model", "model.safetensors"), (tensors) =>
        tensors.set("extra.weight", { shape: [1], data: new Float32Array(1) }),
      ),
    files: { "in.txt": "a\n" },
    args: encode,
    code: 2,
    message: /1 tensor unused \(extra\.weight\)/,
  },
  {
    name: "hidden size not the weights'",
    model: (dir) => editJson(config(dir), (json) => (json.hidden_size = 16)),
    files: { "in.txt": "a\n" },
    args: encode,
    code: 2,
    message: /1_Pooling\/config\.json: pooling dimension 8 does not match "hidden_size" 16/,
  },
  {
    name: "vocabulary larger than the embedding table",
    model: async (dir) => {
      await rm(path.join(dir, "model", "tokenizer.json"), { force: true });
      await writeFile(
        path.join(dir, "model", "vocab.txt"),
        `${await readFile(path.join(dir, "model", "vocab.txt"), "utf8")}x1\nx2\n`,
      );
    },
    files: { "in.txt": "a\n" },
    args: encode,
    code: 2,
    message: /vocab\.txt: the vocabulary has \d+ tokens but the embedding table/,
  },
  {
    name: "no tokenizer",
    model: async (dir) => {
      await rm(path.join(dir, "model", "tokenizer.json"), { force: true });
      await rm(path.join(dir, "model", "vocab.txt"));
    },
    files: { "in.txt": "a\n" },
    args: encode,
    code: 2,
    message: /no tokenizer: expected vocab\.txt or tokenizer\.json/,
  },
  {
    name: "vocab.txt without [CLS]",
    model: async (dir) => {
      await rm(path.join(dir, "model", "tokenizer.json"), { force: true });
      const vocab = path.join(dir, "model", "vocab.txt");
      await writeFile(vocab, (await readFile(vocab, "utf8")).replace("[CLS]\n", "[XLS]\n"));
    },
    files: { "in.txt": "a\n" },
    args: encode,
    code: 2,
    message: /vocab\.txt: .*\[CLS\]/,
  },
  {
    name: "tokenizer.json without a model",
    model: (dir) => writeFile(path.join(dir, "model", "tokenizer.json"), "{}"),
    files: { "in.txt": "a\n" },
    args: encode,
    code: 2,
    message: /tokenizer\.json: not a Hugging Face tokenizer\.json/,
  },
  {
    name: "modules.json not a list",
    model: (dir) => writeFile(path.join(dir, "model", "modules.json"), "{}"),
    files: { "in.txt": "a\n" },
    args: encode,
    code: 2,
    message: /modules\.json: expected a non-empty list/,
  },
  {
    name: "sharded index naming a file elsewhere",
    model: async (dir) => {
      await rm(path.join(dir, "model", "model.safetensors"));
      await writeFile(
        path.join(dir, "model", "model.safetensors.index.json"),
        JSON.stringify({ weight_map: { "embeddings.word_embeddings.weight": "../../etc/passwd" } }),
      );
    },
    files: { "in.txt": "a\n" },
    args: encode,
    code: 2,
    message: /model\.safetensors\.index\.json: tensor "embeddings\.word_embeddings\.weight" maps to/,
  },
  {
    name: "encode --output .npz",
    model: keep,
    files: { "in.txt": "a\n" },
    args: (dir) => [...encode(dir).slice(0, 5), "--device", "js", "--output", path.join(dir, "x.npz")],
    code: 2,
    message: /--output must end in \.jsonl, \.json, \.npy/,
  },
  {
    name: "encode --output .csv",
    model: keep,
    files: { "in.txt": "a\n" },
    args: (dir) => [...encode(dir).slice(0, 5), "--device", "js", "--output", path.join(dir, "x.csv")],
    code: 2,
    message: /--output must end in/,
  },
  { name: "encode input missing", model: keep, args: encode, code: 2, message: /in\.txt: cannot read \(ENOENT\)/ },
  {
    name: "encode input invalid UTF-8",
    model: keep,
    files: { "in.txt": Buffer.from([0x61, 0x0a, 0xff, 0x0a]) },
    args: encode,
    code: 2,
    message: /in\.txt:2: /,
  },
];

const distillRecipe = `name: c
seed: 1
cacheDirectory: cache
steps:
  - step: distill
    name: student
    teacher: model
    student:
      fresh: { hiddenSize: 8, layers: 1, heads: 2, intermediateSize: 16, dropout: 0, vocabulary: { size: 200, lowercase: true, minFrequency: 1 } }
      maxSeqLength: 16
    data:
      - { kind: parallel, file: ${parallel}, format: tsv, header: true, columns: { source: en, target: ja }, limit: 24 }
    training: { maxSteps: 2, batchSize: 8 }
`;
/** Run the distillation once so that the cache holds the teacher's vectors, then damage it. */
const cached = (damage: (teacherCache: string) => Promise<void>) => async (dir: string) => {
  const first = await babelbed(run(dir));
  assert.equal(first.code, 0, first.stderr);
  const folder = (await readdir(path.join(dir, "cache"))).find((name) => name.startsWith("teacher-"))!;
  await damage(path.join(dir, "cache", folder));
};
const cacheCases: (Case & { prepare?: (dir: string) => Promise<void> })[] = [
  {
    name: "teacher cache with a flipped byte",
    model: keep,
    files: { "r.yaml": distillRecipe },
    prepare: cached(async (folder) => {
      const file = path.join(folder, "vectors.v2.bin");
      const bytes = await readFile(file);
      bytes[40] ^= 0x7f;
      await writeFile(file, bytes);
    }),
    args: (dir) => run(dir, "--restart"),
    code: 0,
    message: /warning: .*vectors\.v2\.bin: 1 damaged record dropped; their sentences are embedded again/,
  },
  {
    name: "teacher cache cut mid-record",
    model: keep,
    files: { "r.yaml": distillRecipe },
    prepare: cached(async (folder) => {
      const file = path.join(folder, "vectors.v2.bin");
      await writeFile(file, (await readFile(file)).subarray(0, 100));
    }),
    args: (dir) => run(dir, "--restart"),
    code: 0,
    message: /run directory: /,
  },
  {
    name: "teacher cache where a file is",
    model: keep,
    files: { "r.yaml": distillRecipe, cache: "not a folder" },
    args: run,
    code: 0,
    message:
      /^(?![\s\S]*cannot be written[\s\S]*cannot be written)[\s\S]*warning: teacher cache .* cannot be written \(\w+\); teacher vectors are computed without caching/,
  },
  {
    name: "teacher cache of another teacher",
    model: keep,
    files: { "r.yaml": distillRecipe },
    prepare: cached((folder) =>
      editJson(path.join(folder, "meta.json"), (meta) => (meta.fingerprint = "0".repeat(64))),
    ),
    args: (dir) => run(dir, "--restart"),
    code: 2,
    message: /meta\.json: the cache belongs to another teacher/,
  },
  {
    name: "teacher cache meta.json not JSON",
    model: keep,
    files: { "r.yaml": distillRecipe },
    prepare: cached((folder) => writeFile(path.join(folder, "meta.json"), "{")),
    args: (dir) => run(dir, "--restart"),
    code: 2,
    message: /meta\.json: invalid JSON/,
  },
];

const cases = [...recipeCases, ...dataCases, ...modelCases, ...cacheCases];

test(`the corpus holds at least 60 bad inputs (${cases.length})`, () => {
  assert.ok(cases.length >= 60);
  assert.equal(new Set(cases.map((entry) => entry.name)).size, cases.length, "names are unique");
});

for (const entry of cases) {
  test(`bad input: ${entry.name} → exit ${entry.code}`, async () => {
    const dir = scratch();
    if (entry.model !== undefined) {
      await cp(goodModel, path.join(dir, "model"), { recursive: true });
      await entry.model(dir);
    }
    for (const [name, content] of Object.entries(entry.files ?? {})) {
      await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
      const text =
        typeof content === "string"
          ? content.replaceAll("MODEL_DIR", goodModel)
          : Buffer.isBuffer(content)
            ? content
            : JSON.stringify(content);
      await writeFile(path.join(dir, name), text);
    }
    await (entry as { prepare?: (dir: string) => Promise<void> }).prepare?.(dir);
    const result = await babelbed(entry.args(dir));
    const output = result.stderr + result.stdout;
    assert.equal(result.code, entry.code, output);
    assert.match(output, entry.message);
    assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
    if (entry.code !== 0)
      assert.ok(result.stderr.length < 3000, `a short message, not ${result.stderr.length} characters`);
    await entry.check?.(dir);
  });
}
