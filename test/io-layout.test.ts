import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { readSafetensors, writeSafetensors } from "../src/io/safetensors.js";
import {
  defaultLibraryVersions,
  defaultModulePath,
  readSentenceTransformerConfig,
  readSentenceTransformerLayout,
  writeSentenceTransformerLayout,
  type ModuleSpec,
} from "../src/io/sentence-transformers/index.js";
import { fixturesRoot, skipWithoutFixtures } from "./helpers/fixtures.js";
import { assertRejectsWith, scratchDirectories } from "./helpers/scratch.js";

const fixtures = fixturesRoot;
const needsFixtures = { skip: skipWithoutFixtures };

const directory = scratchDirectories("layout");

const readJson = (file: string): unknown => JSON.parse(readFileSync(file, "utf8"));

const bertConfig = (hidden: number, extra: Record<string, unknown> = {}) => ({
  model_type: "bert",
  hidden_size: hidden,
  max_position_embeddings: 64,
  ...extra,
});
const legacyType = (name: string) => `sentence_transformers.models.${name}`;
const entry = (index: number, modulePath: string, type: string) => ({
  idx: index,
  name: String(index),
  path: modulePath,
  type,
});

describe("reading the fixture layouts", needsFixtures, () => {
  test("tiny-bert: Transformer then mean pooling from a legacy pooling config", async () => {
    assert.deepEqual(await readSentenceTransformerLayout(path.join(fixtures, "tiny-bert")), [
      { kind: "transformer", path: "", maxSeqLength: 32, doLowerCase: false },
      { kind: "pooling", path: "1_Pooling", mode: "mean", dimension: 32, includePrompt: true },
    ]);
  });

  test("tiny-bert-uncased: cls pooling from a 6.x config, and a Normalize whose folder is missing", async () => {
    const dir = path.join(fixtures, "tiny-bert-uncased");
    assert.deepEqual(await readSentenceTransformerLayout(dir), [
      { kind: "transformer", path: "", maxSeqLength: 32, doLowerCase: false },
      { kind: "pooling", path: "1_Pooling", mode: "cls", dimension: 24, includePrompt: true },
      { kind: "normalize", path: "2_Normalize" },
    ]);
    assert.equal(await readSentenceTransformerConfig(dir), undefined);
  });

  test("writing the uncased pipeline back reproduces its sentence-transformers files", async () => {
    const source = path.join(fixtures, "tiny-bert-uncased");
    const target = directory();
    await writeSentenceTransformerLayout(target, await readSentenceTransformerLayout(source), {
      poolingConfigStyle: "current",
    });
    for (const name of ["modules.json", "sentence_bert_config.json", "1_Pooling/config.json"]) {
      assert.deepEqual(readJson(path.join(target, name)), readJson(path.join(source, name)), name);
    }
    assert.ok(existsSync(path.join(target, "2_Normalize")));
  });
});

describe("plain Hugging Face directories", () => {
  test("without modules.json the pipeline is Transformer then mean pooling", async () => {
    const dir = directory({ "config.json": bertConfig(32), "tokenizer_config.json": { model_max_length: 512 } });
    assert.deepEqual(await readSentenceTransformerLayout(dir), [
      { kind: "transformer", path: "", maxSeqLength: 64, doLowerCase: false },
      { kind: "pooling", path: "1_Pooling", mode: "mean", dimension: 32, includePrompt: true },
    ]);
  });

  test("XLM-R positions start after the padding index, so 514 positions allow 512 tokens", async () => {
    const dir = directory({
      "config.json": bertConfig(16, { model_type: "xlm-roberta", max_position_embeddings: 514, pad_token_id: 1 }),
    });
    const [transformer] = await readSentenceTransformerLayout(dir);
    assert.equal((transformer as Extract<ModuleSpec, { kind: "transformer" }>).maxSeqLength, 512);
  });

  test("a directory that is neither layout is refused", async () => {
    await assertRejectsWith(() => readSentenceTransformerLayout(directory()), "neither modules.json nor config.json");
    await assertRejectsWith(
      () => readSentenceTransformerLayout(path.join(directory(), "nowhere")),
      "nowhere",
      "not a directory",
    );
  });
});

describe("write then read", () => {
  const weight = Float32Array.from({ length: 32 }, (_, index) => Math.cos(index) / 3);
  const pipeline: ModuleSpec[] = [
    { kind: "transformer", path: "", maxSeqLength: 128, doLowerCase: true },
    { kind: "pooling", path: defaultModulePath(1, "pooling"), mode: "cls", dimension: 8, includePrompt: true },
    {
      kind: "dense",
      path: defaultModulePath(2, "dense"),
      inFeatures: 8,
      outFeatures: 4,
      bias: true,
      activation: "tanh",
      weight,
      biasValues: new Float32Array([0.5, -1, 2, 1e-7]),
    },
    {
      kind: "dense",
      path: defaultModulePath(3, "dense"),
      inFeatures: 4,
      outFeatures: 4,
      bias: false,
      activation: "identity",
      weight: weight.slice(0, 16),
    },
    { kind: "normalize", path: defaultModulePath(4, "normalize") },
  ];

  test("a full pipeline round-trips and is written in sentence-transformers' own form", async () => {
    const dir = directory({ "config.json": bertConfig(8) });
    await writeSentenceTransformerLayout(dir, pipeline);
    assert.deepEqual(await readSentenceTransformerLayout(dir), pipeline);
    assert.deepEqual(readJson(path.join(dir, "modules.json")), [
      entry(0, "", legacyType("Transformer")),
      entry(1, "1_Pooling", legacyType("Pooling")),
      entry(2, "2_Dense", legacyType("Dense")),
      entry(3, "3_Dense", legacyType("Dense")),
      entry(4, "4_Normalize", legacyType("Normalize")),
    ]);
    assert.deepEqual(readJson(path.join(dir, "sentence_bert_config.json")), {
      max_seq_length: 128,
      do_lower_case: true,
    });
    // The flag form every sentence-transformers release from 2.x to 6 reads.
    assert.deepEqual(readJson(path.join(dir, "1_Pooling", "config.json")), {
      word_embedding_dimension: 8,
      pooling_mode_cls_token: true,
      pooling_mode_mean_tokens: false,
      pooling_mode_max_tokens: false,
      pooling_mode_mean_sqrt_len_tokens: false,
    });
    assert.deepEqual(readJson(path.join(dir, "2_Dense", "config.json")), {
      in_features: 8,
      out_features: 4,
      bias: true,
      activation_function: "torch.nn.modules.activation.Tanh",
    });
    assert.deepEqual(readJson(path.join(dir, "3_Dense", "config.json")), {
      in_features: 4,
      out_features: 4,
      bias: false,
      activation_function: "torch.nn.modules.linear.Identity",
    });
    const dense = await readSafetensors(path.join(dir, "2_Dense", "model.safetensors"));
    assert.deepEqual(dense.metadata, { format: "pt" });
    assert.deepEqual(
      [...dense.tensors].map(([name, tensor]) => [name, tensor.shape]),
      [
        ["linear.bias", [4]],
        ["linear.weight", [4, 8]],
      ],
    );
    assert.deepEqual(readJson(path.join(dir, "config_sentence_transformers.json")), {
      model_type: "SentenceTransformer",
      __version__: { ...defaultLibraryVersions },
      prompts: {},
      default_prompt_name: null,
      similarity_fn_name: "cosine",
    });
    assert.ok(existsSync(path.join(dir, "4_Normalize")));
  });

  test("legacy pooling config and custom model settings", async () => {
    const dir = directory({ "config.json": bertConfig(8) });
    await writeSentenceTransformerLayout(dir, pipeline.slice(0, 2), {
      poolingConfigStyle: "legacy",
      versions: { sentence_transformers: "5.1.0" },
      prompts: { query: "query: " },
      defaultPromptName: "query",
      similarityFunction: "dot",
    });
    assert.deepEqual(readJson(path.join(dir, "1_Pooling", "config.json")), {
      word_embedding_dimension: 8,
      pooling_mode_cls_token: true,
      pooling_mode_mean_tokens: false,
      pooling_mode_max_tokens: false,
      pooling_mode_mean_sqrt_len_tokens: false,
      pooling_mode_weightedmean_tokens: false,
      pooling_mode_lasttoken: false,
      include_prompt: true,
    });
    assert.deepEqual(await readSentenceTransformerLayout(dir), pipeline.slice(0, 2));
    assert.deepEqual(await readSentenceTransformerConfig(dir), {
      versions: { sentence_transformers: "5.1.0" },
      prompts: { query: "query: " },
      defaultPromptName: "query",
      similarityFunction: "dot",
    });
  });

  test("the writer refuses pipelines it could not read back", async () => {
    const [transformer, pooling, dense] = pipeline as [
      ModuleSpec,
      Extract<ModuleSpec, { kind: "pooling" }>,
      Extract<ModuleSpec, { kind: "dense" }>,
    ];
    const refuse = (modules: ModuleSpec[], ...fragments: string[]) =>
      assertRejectsWith(() => writeSentenceTransformerLayout(directory(), modules), ...fragments);
    await refuse([pooling], "first module must be a Transformer");
    await refuse([transformer, { ...pooling, path: "" }], "needs its own folder");
    await refuse([transformer, pooling, { ...dense, path: "1_Pooling" }], "used twice");
    await refuse([transformer, pooling, { ...dense, path: "../outside" }], "inside the model directory");
    await refuse([transformer, pooling, { ...dense, inFeatures: 5, weight: new Float32Array(20) }], "in_features 5");
    await refuse([transformer, pooling, { ...dense, weight: new Float32Array(3) }], "weight has 3 values");
    await refuse([transformer, pooling, { ...dense, biasValues: undefined }], "biasValues");
    await refuse(
      [transformer, pooling, { kind: "normalize", path: "2_Normalize" }, { ...dense, path: "3_Dense" }],
      "Normalize must be the last",
    );
  });
});

describe("reading other spellings", () => {
  test("sentence-transformers 6 module paths and a config without max_seq_length", async () => {
    const dir = directory({
      "config.json": bertConfig(4, { max_position_embeddings: 512 }),
      "tokenizer_config.json": { model_max_length: 256 },
      "sentence_bert_config.json": { transformer_task: "feature-extraction", module_output_name: "token_embeddings" },
      "modules.json": [
        entry(0, "", "sentence_transformers.base.modules.transformer.Transformer"),
        entry(1, "1_Pooling", "sentence_transformers.sentence_transformer.modules.pooling.Pooling"),
        entry(2, "2_Normalize", "sentence_transformers.sentence_transformer.modules.normalize.Normalize"),
      ],
      "1_Pooling/config.json": { embedding_dimension: 4, pooling_mode: ["max"], include_prompt: true },
    });
    assert.deepEqual(await readSentenceTransformerLayout(dir), [
      { kind: "transformer", path: "", maxSeqLength: 256, doLowerCase: false },
      { kind: "pooling", path: "1_Pooling", mode: "max", dimension: 4, includePrompt: true },
      { kind: "normalize", path: "2_Normalize" },
    ]);
  });

  test("an old layout with the transformer in its own folder and a LaBSE-style Dense", async () => {
    const dir = directory({
      "0_Transformer/config.json": bertConfig(2),
      "0_Transformer/sentence_bert_config.json": { max_seq_length: 16, do_lower_case: false },
      "modules.json": [
        entry(0, "0_Transformer", legacyType("Transformer")),
        entry(1, "1_Pooling", legacyType("Pooling")),
        entry(2, "2_Dense", legacyType("Dense")),
      ],
      "1_Pooling/config.json": {
        word_embedding_dimension: 2,
        pooling_mode_cls_token: true,
        pooling_mode_mean_tokens: false,
      },
      "2_Dense/config.json": { in_features: 2, out_features: 2 },
    });
    await writeSafetensors(
      path.join(dir, "2_Dense", "model.safetensors"),
      new Map([
        ["linear.weight", { shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }],
        ["linear.bias", { shape: [2], data: new Float32Array([5, 6]) }],
      ]),
    );
    const modules = await readSentenceTransformerLayout(dir);
    assert.deepEqual(modules[0], { kind: "transformer", path: "0_Transformer", maxSeqLength: 16, doLowerCase: false });
    // Missing bias/activation_function take sentence-transformers' Dense defaults: bias, Tanh.
    assert.deepEqual(modules[2], {
      kind: "dense",
      path: "2_Dense",
      inFeatures: 2,
      outFeatures: 2,
      bias: true,
      activation: "tanh",
      weight: new Float32Array([1, 2, 3, 4]),
      biasValues: new Float32Array([5, 6]),
    });
  });
});

describe("layout errors", () => {
  const base = (modules: unknown, extra: Record<string, unknown> = {}) =>
    directory({
      "config.json": bertConfig(4),
      "modules.json": modules,
      "1_Pooling/config.json": { embedding_dimension: 4, pooling_mode: "mean" },
      ...extra,
    });
  const standard = [entry(0, "", legacyType("Transformer")), entry(1, "1_Pooling", legacyType("Pooling"))];

  test("unknown module types and malformed modules.json name the file and entry", async () => {
    await assertRejectsWith(
      () => readSentenceTransformerLayout(base([...standard, entry(2, "2_LSTM", legacyType("LSTM"))])),
      "modules.json",
      "entry 2",
      "sentence_transformers.models.LSTM",
      "not supported",
    );
    await assertRejectsWith(
      () => readSentenceTransformerLayout(base([...standard, entry(2, "2_Custom", "my_package.Normalize")])),
      "entry 2",
      "my_package.Normalize",
    );
    await assertRejectsWith(
      () => readSentenceTransformerLayout(base({ modules: [] })),
      "modules.json",
      "non-empty list",
    );
    await assertRejectsWith(
      () => readSentenceTransformerLayout(base([standard[0], { idx: 1, type: legacyType("Pooling") }])),
      "entry 1",
      '"path"',
    );
    await assertRejectsWith(
      () => readSentenceTransformerLayout(base([standard[0], entry(1, "../1_Pooling", legacyType("Pooling"))])),
      "inside the model directory",
    );
    await assertRejectsWith(
      () => readSentenceTransformerLayout(base([standard[1], standard[0]])),
      "first module must be a Transformer",
    );
    await assertRejectsWith(() => readSentenceTransformerLayout(base("[not json")), "modules.json", "invalid JSON");
  });

  test("pooling configs babelbed cannot run", async () => {
    const pooling = (config: unknown) =>
      readSentenceTransformerLayout(base(standard, { "1_Pooling/config.json": config }));
    const file = path.join("1_Pooling", "config.json");
    await assertRejectsWith(
      () => pooling({ embedding_dimension: 4, pooling_mode: "firsttoken" }),
      file,
      '"firsttoken"',
    );
    await assertRejectsWith(
      () => pooling({ embedding_dimension: 4, pooling_mode: "mean", include_prompt: false }),
      file,
      '"include_prompt" is false',
    );
    const concatenated = (await pooling({
      word_embedding_dimension: 4,
      pooling_mode_cls_token: true,
      pooling_mode_mean_tokens: true,
    })) as ModuleSpec[];
    assert.deepEqual((concatenated[1] as Extract<ModuleSpec, { kind: "pooling" }>).mode, ["cls", "mean"]);
    await assertRejectsWith(() => pooling({ pooling_mode: "mean" }), file, '"word_embedding_dimension"');
    await assertRejectsWith(
      () => pooling({ embedding_dimension: 8, pooling_mode: "mean" }),
      "pooling dimension 8",
      '"hidden_size" 4',
    );
    await assertRejectsWith(
      () => pooling({ embedding_dimension: 4, pooling_mode: "mean", include_prompt: "yes" }),
      '"include_prompt"',
    );
    assert.equal(
      ((await pooling({ word_embedding_dimension: 4, pooling_mode_mean_tokens: false })) as ModuleSpec[])[1]!.kind,
      "pooling",
    );
  });

  test("Dense problems: pickle-only weights, unknown activation, wrong shapes", async () => {
    const modules = [...standard, entry(2, "2_Dense", legacyType("Dense"))];
    const dense = (files: Record<string, unknown>) => readSentenceTransformerLayout(base(modules, files));
    const config = {
      in_features: 4,
      out_features: 2,
      bias: false,
      activation_function: "torch.nn.modules.linear.Identity",
    };
    await assertRejectsWith(
      () => dense({ "2_Dense/config.json": config, "2_Dense/pytorch_model.bin": "pickle" }),
      "pytorch_model.bin",
      "SentenceTransformer(",
      ".save(",
    );
    await assertRejectsWith(() => dense({ "2_Dense/config.json": config }), "model.safetensors", "missing");
    await assertRejectsWith(
      () => dense({ "2_Dense/config.json": { ...config, activation_function: "torch.nn.modules.activation.ReLU" } }),
      "ReLU",
    );
    await assertRejectsWith(() => dense({ "2_Dense/config.json": { ...config, in_features: 0 } }), '"in_features"');
    const dir = base(modules, { "2_Dense/config.json": config });
    await writeSafetensors(
      path.join(dir, "2_Dense", "model.safetensors"),
      new Map([["linear.weight", { shape: [4, 2], data: new Float32Array(8) }]]),
    );
    await assertRejectsWith(() => readSentenceTransformerLayout(dir), 'tensor "linear.weight"', "[2,4]");
  });

  test("a fixture copy without its pooling folder fails naming the missing config", needsFixtures, async () => {
    const copy = (name: string) => readFileSync(path.join(fixtures, "tiny-bert", name), "utf8");
    const dir = directory({
      "modules.json": copy("modules.json"),
      "config.json": copy("config.json"),
      "sentence_bert_config.json": copy("sentence_bert_config.json"),
    });
    await assertRejectsWith(
      () => readSentenceTransformerLayout(dir),
      path.join(dir, "1_Pooling", "config.json"),
      "cannot read",
    );
  });
});
