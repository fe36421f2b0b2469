import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { loadSentenceEncoder, saveSentenceEncoder } from "../src/io/encoder-checkpoint.js";
import { readSafetensors, writeSafetensors } from "../src/io/safetensors.js";
import { saveTfjsEncoder } from "../src/io/tfjs/layout.js";
import { verifyTfjsExport } from "../src/io/tfjs/read-back.js";
import { architectureOf } from "../src/model/architecture.js";
import {
  configFromJson,
  configToJson,
  positionIds,
  positionOffset,
  type TransformerConfig,
} from "../src/model/config.js";
import { inferMaxSeqLength } from "../src/io/sentence-transformers/index.js";
import { sinusoidalTable } from "../src/model/distilbert.js";
import { relativePositionBucket } from "../src/model/mpnet.js";
import { poolingModes, type Pooling } from "../src/model/pooling.js";
import { SentenceEncoder } from "../src/model/sentence-encoder.js";
import { parameterShapes, Transformer } from "../src/model/transformer.js";
import { useBackend } from "./helpers/backends.js";
import { fixturesRoot, skipWithoutFixtures } from "./helpers/fixtures.js";
import { assertRejectsWith, scratchDirectories } from "./helpers/scratch.js";
import { fixtureBatch, hubFixtures, loadHubExpected } from "./helpers/hub-fixtures.js";

const directory = scratchDirectories("hub-round-trip");

/** Every tensor of `a` equals `b`'s bit for bit, under the same names. */
function assertSameTensors(a: Map<string, tf.Tensor>, b: Map<string, tf.Tensor>, owned = true): void {
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
  for (const [name, tensor] of a) assert.deepEqual(tensor.dataSync(), b.get(name)!.dataSync(), name);
  if (owned) tf.dispose([...a.values(), ...b.values()]);
}

/** Vectors of the fixture's 30 sentences (its own ids), as one Float32Array. */
function vectors(encoder: SentenceEncoder, name: string): Float32Array {
  return tf.tidy(() => encoder.forward(fixtureBatch(encoder, loadHubExpected(name), 0, 30)).dataSync() as Float32Array);
}

async function roundTrip(encoder: SentenceEncoder, name: string): Promise<SentenceEncoder> {
  const dir = directory();
  await saveSentenceEncoder(encoder, dir);
  const loaded = await loadSentenceEncoder(dir);
  assert.deepEqual(loaded.pooling, encoder.pooling);
  assert.equal(loaded.normalize, encoder.normalize);
  // Saving adds the HF class name (`architectures`) when a fresh config has none.
  const { architectures, ...extra } = loaded.transformer.config.extra;
  assert.deepEqual(
    architectures,
    encoder.transformer.config.extra.architectures ?? [encoder.transformer.architecture.className],
  );
  const { architectures: _, ...originalExtra } = encoder.transformer.config.extra;
  assert.deepEqual({ ...loaded.transformer.config, extra }, { ...encoder.transformer.config, extra: originalExtra });
  assertSameTensors(encoder.transformer.namedTensors(), loaded.transformer.namedTensors());
  assertSameTensors(
    encoder.trainableParameters() as Map<string, tf.Tensor>,
    loaded.trainableParameters() as Map<string, tf.Tensor>,
    false,
  );
  assert.deepEqual(vectors(loaded, name), vectors(encoder, name), "vectors bit-exact after the round trip");
  return loaded;
}

test("every hub fixture saves with HF names and loads back bit-exact, tokenizer included", {
  skip: skipWithoutFixtures,
}, async () => {
  await useBackend("js");
  for (const name of hubFixtures) {
    const encoder = await loadSentenceEncoder(path.join(fixturesRoot, name));
    const loaded = await roundTrip(encoder, name);
    const texts = (loadHubExpected(name).sentences as { text: string }[]).map((sentence) => sentence.text);
    assert.deepEqual(
      loaded.tokenize(texts),
      encoder.tokenize(texts),
      `${name}: the saved tokenizer gives the same ids`,
    );
    const saved = readSafetensors(path.join(fixturesRoot, name, "model.safetensors"));
    const names = [...(await saved).tensors.keys()].filter((tensor) => !tensor.startsWith("pooler."));
    for (const tensor of names)
      assert.ok(
        loaded.transformer.parameters.has(tensor) || tensor === "embeddings.word_embeddings.weight",
        `${name}: ${tensor} kept its HF name`,
      );
    encoder.dispose();
    loaded.dispose();
  }
});

function freshConfig(json: Record<string, unknown>): TransformerConfig {
  return configFromJson({ vocab_size: 30526, max_position_embeddings: 40, ...json });
}

test("every pooling mode, their concatenation and fresh MPNet / DistilBERT models round-trip bit-exact", {
  skip: skipWithoutFixtures,
}, async () => {
  await useBackend("js");
  const template = await loadSentenceEncoder(path.join(fixturesRoot, "tiny-mpnet"));
  const models = [
    freshConfig({
      model_type: "mpnet",
      hidden_size: 16,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      intermediate_size: 20,
      pad_token_id: 30524,
    }),
    freshConfig({
      model_type: "distilbert",
      dim: 16,
      n_layers: 1,
      n_heads: 2,
      hidden_dim: 20,
      sinusoidal_pos_embds: true,
      pad_token_id: 30524,
    }),
  ];
  const poolings: Pooling[] = [...poolingModes, [...poolingModes], ["lasttoken", "cls"]];
  for (const [index, config] of models.entries()) {
    for (const pooling of index === 0 ? poolings : ["mean" as const]) {
      const encoder = new SentenceEncoder({
        tokenizer: template.tokenizer,
        transformer: Transformer.initialize(config, 7),
        maxSeqLength: 32,
        pooling,
        normalize: true,
      });
      const loaded = await roundTrip(encoder, "tiny-mpnet");
      encoder.dispose();
      loaded.dispose();
    }
  }
  template.dispose();
});

test("DistilBERT's sinusoidal positions are the fixed table and never train", async () => {
  await useBackend("js");
  const config = freshConfig({
    model_type: "distilbert",
    dim: 8,
    n_layers: 1,
    n_heads: 2,
    hidden_dim: 12,
    sinusoidal_pos_embds: true,
  });
  const model = Transformer.initialize(config, 3);
  assert.deepEqual(model.parameters.get("embeddings.position_embeddings.weight")!.dataSync(), sinusoidalTable(40, 8));
  assert.ok(!model.trainableParameters().has("embeddings.position_embeddings.weight"));
  assert.equal(sinusoidalTable(2, 4)[4 + 0], Math.fround(Math.sin(1)));
  assert.equal(sinusoidalTable(2, 4)[4 + 3], Math.fround(Math.cos(1 / 100)));
  model.dispose();
});

test("MPNet's relative position buckets: exact near, logarithmic far, one half per direction", () => {
  // key - query = relative; HF buckets -relative.
  assert.deepEqual(
    [0, -1, -7, 1, 7].map((relative) => relativePositionBucket(relative)),
    [0, 1, 7, 17, 23],
  );
  assert.equal(relativePositionBucket(-8), 8);
  assert.equal(relativePositionBucket(-200), 15, "beyond max_distance: the last bucket");
  assert.equal(relativePositionBucket(-20), 8 + Math.trunc((Math.log(20 / 8) / Math.log(16)) * 8));
});

test("a sharded checkpoint (model.safetensors.index.json) gives the same vectors as the single file", {
  skip: skipWithoutFixtures,
}, async () => {
  await useBackend("js");
  const source = path.join(fixturesRoot, "tiny-distilbert");
  const dir = directory();
  const original = await loadSentenceEncoder(source);
  await saveSentenceEncoder(original, dir);
  const { tensors } = await readSafetensors(path.join(dir, "model.safetensors"));
  const names = [...tensors.keys()];
  const shards = [names.slice(0, 5), names.slice(5)];
  const weightMap: Record<string, string> = {};
  for (const [index, shard] of shards.entries()) {
    const file = `model-0000${index + 1}-of-00002.safetensors`;
    await writeSafetensors(
      path.join(dir, file),
      new Map(
        shard.map((tensor) => [
          tensor,
          { shape: tensors.get(tensor)!.shape, data: tensors.get(tensor)!.data as Float32Array },
        ]),
      ),
      { format: "pt" },
    );
    for (const tensor of shard) weightMap[tensor] = file;
  }
  const { rm, writeFile } = await import("node:fs/promises");
  await rm(path.join(dir, "model.safetensors"));
  await writeFile(
    path.join(dir, "model.safetensors.index.json"),
    JSON.stringify({ metadata: {}, weight_map: weightMap }),
  );
  const sharded = await loadSentenceEncoder(dir);
  assert.deepEqual(vectors(sharded, "tiny-distilbert"), vectors(original, "tiny-distilbert"));
  original.dispose();
  sharded.dispose();
});

test("tfjs export of the new architectures and pooling modes reads back exact, or is refused clearly", {
  skip: skipWithoutFixtures,
}, async () => {
  await useBackend("js");
  for (const name of ["tiny-distilbert", "tiny-bert-pooling"]) {
    const encoder = await loadSentenceEncoder(path.join(fixturesRoot, name));
    const output = directory();
    await saveTfjsEncoder(encoder, output);
    assert.ok(
      (await verifyTfjsExport(encoder, output, 0)) === 0,
      `${name}: the browser runtime computes the same vectors`,
    );
    const manifest = JSON.parse(readFileSync(path.join(output, "model.json"), "utf8"));
    assert.deepEqual(manifest.babelbed.pooling, encoder.pooling);
    encoder.dispose();
  }
  // MPNet's tokenizer.json (<s> … </s> around WordPiece) is not the browser's BERT pipeline.
  const mpnet = await loadSentenceEncoder(path.join(fixturesRoot, "tiny-mpnet"));
  await assertRejectsWith(() => saveTfjsEncoder(mpnet, directory()), "tfjs export", "only runs under Node");
  mpnet.dispose();
});

test("configs keep each architecture's own spelling; MPNet's usable length counts from padding index 1", async () => {
  const distilbert = {
    model_type: "distilbert",
    vocab_size: 50,
    dim: 8,
    n_layers: 1,
    n_heads: 2,
    hidden_dim: 12,
    activation: "gelu",
    dropout: 0.1,
    attention_dropout: 0.1,
    max_position_embeddings: 20,
    initializer_range: 0.02,
    pad_token_id: 0,
    sinusoidal_pos_embds: true,
    qa_dropout: 0.1,
  };
  const config = configFromJson(distilbert, "d.json");
  assert.deepEqual(
    [config.hiddenSize, config.intermediateSize, config.numHiddenLayers, config.typeVocabSize, config.layerNormEps],
    [8, 12, 1, 0, 1e-12],
  );
  assert.deepEqual(configToJson(config), distilbert);
  const mpnet = configFromJson({
    model_type: "mpnet",
    hidden_size: 8,
    num_attention_heads: 2,
    relative_attention_num_buckets: 16,
  });
  assert.equal(configToJson(mpnet).relative_attention_num_buckets, 16);
  assert.ok(!("type_vocab_size" in configToJson(mpnet)));
  assert.throws(
    () => configFromJson({ model_type: "distilbert", activation: "relu" }, "d.json"),
    /d\.json: field "activation" is "relu"/,
  );
  assert.throws(
    () => configFromJson({ model_type: "distilbert", sinusoidal_pos_embds: "yes" }, "d.json"),
    /"sinusoidal_pos_embds" must be true or false/,
  );
  assert.throws(
    () => configFromJson({ model_type: "deberta-v2" }, "d.json"),
    /"deberta-v2"; babelbed reads "bert", "xlm-roberta", "roberta", "mpnet", "distilbert"/,
  );
  assert.deepEqual(Array.from(positionIds(mpnet, Int32Array.from([0, 5, 2, 1, 1]), 1, 5)), [2, 3, 4, 1, 1]);
  const roberta = configFromJson({ model_type: "roberta", hidden_size: 8, num_attention_heads: 2, pad_token_id: 1 });
  assert.deepEqual(
    [architectureOf(roberta).className, roberta.typeVocabSize, positionOffset(roberta)],
    ["RobertaModel", 1, 2],
  );
  assert.deepEqual(
    parameterShapes(roberta),
    parameterShapes({ ...roberta, modelType: "xlm-roberta" }),
    "RoBERTa is XLM-R's network under its own config",
  );
  const dir = directory({ "config.json": { model_type: "mpnet", max_position_embeddings: 514, pad_token_id: 30524 } });
  assert.equal(await inferMaxSeqLength(dir), 512);
});
