import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { inspectModelDirectory, readModelWeights } from "../src/io/model-directory.js";
import { bertModelParameterNames, detectModelPrefix, stripModelPrefix, withBareNames } from "../src/io/names.js";
import { writeSafetensors } from "../src/io/safetensors.js";
import { fixturesRoot, skipWithoutFixtures } from "./helpers/fixtures.js";
import { assertRejectsWith, assertThrowsWith, scratchDirectories } from "./helpers/scratch.js";

const fixtures = fixturesRoot;
const needsFixtures = { skip: skipWithoutFixtures };

const directory = scratchDirectories("model-dir");

const small = (...values: number[]) => ({ shape: [values.length], data: new Float32Array(values) });

describe("inspectModelDirectory", () => {
  test("finds the pieces of the tiny-bert fixture", needsFixtures, async () => {
    const dir = path.join(fixtures, "tiny-bert");
    const model = await inspectModelDirectory(dir);
    assert.equal(model.configFile, path.join(dir, "config.json"));
    assert.deepEqual(model.weightFiles, [path.join(dir, "model.safetensors")]);
    assert.equal(model.vocabFile, path.join(dir, "vocab.txt"));
    assert.equal(model.tokenizerConfigFile, path.join(dir, "tokenizer_config.json"));
    assert.equal(model.specialTokensMapFile, path.join(dir, "special_tokens_map.json"));
    assert.equal(model.modulesFile, path.join(dir, "modules.json"));
    assert.equal(model.tokenizerFile, undefined);
    assert.equal(model.shardIndexFile, undefined);
    assert.equal(model.config.hidden_size, 32);
    const weights = await readModelWeights(model);
    assert.deepEqual([...weights.keys()].sort(), bertModelParameterNames(2).sort());
  });

  test("sharded checkpoints: shards in order, merged, checked against the index", async () => {
    const dir = directory({ "config.json": { model_type: "bert" }, "tokenizer.json": "{}" });
    await writeSafetensors(
      path.join(dir, "model-00002-of-00002.safetensors"),
      new Map([
        ["b", small(2)],
        ["c", small(3, 4)],
      ]),
    );
    await writeSafetensors(path.join(dir, "model-00001-of-00002.safetensors"), new Map([["a", small(1)]]));
    const weightMap = {
      a: "model-00001-of-00002.safetensors",
      b: "model-00002-of-00002.safetensors",
      c: "model-00002-of-00002.safetensors",
    };
    writeFileSync(
      path.join(dir, "model.safetensors.index.json"),
      JSON.stringify({ metadata: { total_size: 16 }, weight_map: weightMap }),
    );
    const model = await inspectModelDirectory(dir);
    assert.deepEqual(model.weightFiles, [
      path.join(dir, "model-00001-of-00002.safetensors"),
      path.join(dir, "model-00002-of-00002.safetensors"),
    ]);
    assert.equal(model.shardIndexFile, path.join(dir, "model.safetensors.index.json"));
    assert.equal(model.weightMap?.get("c"), path.join(dir, "model-00002-of-00002.safetensors"));
    const weights = await readModelWeights(model);
    assert.deepEqual([...weights.keys()].sort(), ["a", "b", "c"]);
    assert.deepEqual([...weights.get("c")!.data], [3, 4]);
    assert.deepEqual([...(await readModelWeights(model, { select: (name) => name !== "b" })).keys()].sort(), [
      "a",
      "c",
    ]);

    const wrongShard = {
      ...model,
      weightMap: new Map([...model.weightMap!, ["a", path.join(dir, "model-00002-of-00002.safetensors")]]),
    };
    await assertRejectsWith(
      () => readModelWeights(wrongShard),
      "model.safetensors.index.json",
      'tensor "a"',
      "model-00002-of-00002.safetensors",
    );
    await writeSafetensors(
      path.join(dir, "model-00001-of-00002.safetensors"),
      new Map([
        ["a", small(1)],
        ["b", small(5)],
      ]),
    );
    await assertRejectsWith(() => readModelWeights(model), 'tensor "b"', "also in");
  });

  test("broken shard indexes", async () => {
    const indexed = (weightMap: unknown) =>
      inspectModelDirectory(
        directory({
          "config.json": {},
          "vocab.txt": "[PAD]\n",
          "model.safetensors.index.json": { weight_map: weightMap },
        }),
      );
    await assertRejectsWith(
      () => indexed({ a: "model-00001-of-00001.safetensors" }),
      "model.safetensors.index.json",
      "model-00001-of-00001.safetensors is missing",
    );
    await assertRejectsWith(() => indexed({ a: "../elsewhere.safetensors" }), 'tensor "a"', "same directory");
    await assertRejectsWith(() => indexed([]), '"weight_map"');
  });

  test("checkpoints in other formats come with a one-line conversion", async () => {
    const withWeights = (file: string) => directory({ "config.json": {}, "vocab.txt": "[PAD]\n", [file]: "x" });
    let dir = withWeights("pytorch_model.bin");
    await assertRejectsWith(
      () => inspectModelDirectory(dir),
      "pytorch_model.bin",
      `python -c "from transformers import AutoModel; AutoModel.from_pretrained('${dir}').save_pretrained('${dir}', safe_serialization=True)"`,
    );
    dir = withWeights("tf_model.h5");
    await assertRejectsWith(() => inspectModelDirectory(dir), "tf_model.h5", `from_pretrained('${dir}', from_tf=True)`);
    dir = withWeights("flax_model.msgpack");
    await assertRejectsWith(() => inspectModelDirectory(dir), "flax_model.msgpack", "from_flax=True");
    await assertRejectsWith(
      () => inspectModelDirectory(withWeights("pytorch_model.bin.index.json")),
      "sharded PyTorch pickle",
    );
  });

  test("missing pieces", async () => {
    await assertRejectsWith(
      () => inspectModelDirectory(path.join(directory(), "nowhere")),
      "nowhere",
      "not a directory",
    );
    await assertRejectsWith(() => inspectModelDirectory(directory({ "vocab.txt": "" })), "no config.json");
    await assertRejectsWith(
      () => inspectModelDirectory(directory({ "config.json": {}, "vocab.txt": "" })),
      "no model weights",
    );
    await assertRejectsWith(
      () => inspectModelDirectory(directory({ "config.json": "{oops", "vocab.txt": "" })),
      "config.json",
      "invalid JSON",
    );
    const noTokenizer = directory({ "config.json": {} });
    await writeSafetensors(path.join(noTokenizer, "model.safetensors"), new Map([["a", small(1)]]));
    await assertRejectsWith(() => inspectModelDirectory(noTokenizer), "no tokenizer", "vocab.txt or tokenizer.json");
    assert.equal((await inspectModelDirectory(noTokenizer, { requireTokenizer: false })).vocabFile, undefined);
    writeFileSync(path.join(noTokenizer, "sentencepiece.bpe.model"), "spm");
    await assertRejectsWith(
      () => inspectModelDirectory(noTokenizer),
      "sentencepiece.bpe.model",
      "AutoTokenizer.from_pretrained(",
    );
  });
});

describe("stripModelPrefix", () => {
  const bare = bertModelParameterNames(2);

  test("BertModel has 5 embedding, 16 per-layer and 2 pooler parameters", () => {
    assert.equal(bare.length, 5 + 16 * 2 + 2);
    assert.ok(bare.includes("encoder.layer.1.attention.self.query.weight"));
  });

  test("an XLM-R MaskedLM checkpoint: roberta. prefix removed, lm_head kept", () => {
    const names = [
      ...bare.map((name) => `roberta.${name}`),
      "roberta.embeddings.position_ids",
      "lm_head.dense.weight",
      "lm_head.bias",
    ];
    const mapping = stripModelPrefix(names);
    assert.equal(mapping.get("roberta.embeddings.word_embeddings.weight"), "embeddings.word_embeddings.weight");
    assert.equal(
      mapping.get("roberta.encoder.layer.0.attention.self.query.weight"),
      "encoder.layer.0.attention.self.query.weight",
    );
    assert.equal(mapping.get("roberta.pooler.dense.weight"), "pooler.dense.weight");
    assert.equal(mapping.get("roberta.embeddings.position_ids"), "embeddings.position_ids");
    assert.equal(mapping.get("lm_head.bias"), "lm_head.bias");
    assert.deepEqual(
      bare.filter((name) => ![...mapping.values()].includes(name)),
      [],
    );
  });

  test("a TF-converted BertForPreTraining checkpoint: bert. prefix, gamma/beta renamed", () => {
    const mapping = stripModelPrefix(
      [
        "bert.embeddings.word_embeddings.weight",
        "bert.embeddings.LayerNorm.gamma",
        "bert.encoder.layer.0.output.LayerNorm.beta",
        "cls.predictions.transform.LayerNorm.gamma",
        "cls.predictions.bias",
      ],
      "model.safetensors",
    );
    assert.deepEqual(Object.fromEntries(mapping), {
      "bert.embeddings.word_embeddings.weight": "embeddings.word_embeddings.weight",
      "bert.embeddings.LayerNorm.gamma": "embeddings.LayerNorm.weight",
      "bert.encoder.layer.0.output.LayerNorm.beta": "encoder.layer.0.output.LayerNorm.bias",
      "cls.predictions.transform.LayerNorm.gamma": "cls.predictions.transform.LayerNorm.weight",
      "cls.predictions.bias": "cls.predictions.bias",
    });
  });

  test("bare and deeply prefixed names", () => {
    assert.deepEqual(
      [...stripModelPrefix(bare)].filter(([from, to]) => from !== to),
      [],
    );
    assert.equal(detectModelPrefix(bare), "");
    const nested = bare.map((name) => `0.auto_model.${name}`);
    assert.equal(detectModelPrefix(nested), "0.auto_model.");
    assert.equal(
      stripModelPrefix(nested).get("0.auto_model.encoder.layer.1.output.dense.bias"),
      "encoder.layer.1.output.dense.bias",
    );
  });

  test("ambiguous checkpoints are refused, naming the source", () => {
    assertThrowsWith(
      () =>
        stripModelPrefix(
          ["bert.embeddings.word_embeddings.weight", "embeddings.word_embeddings.weight"],
          "ckpt.safetensors",
        ),
      "ckpt.safetensors",
      "several prefixes",
    );
    assertThrowsWith(
      () =>
        stripModelPrefix(
          ["bert.embeddings.word_embeddings.weight", "bert.pooler.dense.weight", "pooler.dense.weight"],
          "ckpt.safetensors",
        ),
      "ckpt.safetensors",
      '"bert.pooler.dense.weight" and "pooler.dense.weight"',
    );
    assertThrowsWith(() => stripModelPrefix(["bertembeddings.word_embeddings.weight"]), "dotted prefix");
  });

  test("withBareNames re-keys a tensor map", () => {
    const tensors = new Map([
      ["roberta.embeddings.word_embeddings.weight", 1],
      ["lm_head.bias", 2],
    ]);
    assert.deepEqual(
      [...withBareNames(tensors)],
      [
        ["embeddings.word_embeddings.weight", 1],
        ["lm_head.bias", 2],
      ],
    );
  });
});
