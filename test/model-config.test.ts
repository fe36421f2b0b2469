import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { batchFromRows } from "../src/model/batch.js";
import { configFromJson, configToJson, positionOffset } from "../src/model/config.js";
import { Transformer, parameterShapes } from "../src/model/transformer.js";
import { BabelbedError } from "../src/util/errors.js";
import { useBackend } from "./helpers/backends.js";
import { fixtureNames, fixturesRoot, skipWithoutFixtures } from "./helpers/fixtures.js";
import { tinyConfig } from "./helpers/tiny.js";

test("config.json round-trips through the config object, unknown keys included", { skip: skipWithoutFixtures }, () => {
  for (const name of fixtureNames) {
    const json = JSON.parse(readFileSync(path.join(fixturesRoot, name, "config.json"), "utf8")) as Record<
      string,
      unknown
    >;
    const config = configFromJson(json);
    assert.deepEqual(configToJson(config), json);
    assert.equal(config.extra.transformers_version, "4.44.2");
  }
});

test("config errors name the file and field", () => {
  assert.throws(
    () => configFromJson({ model_type: "gpt2" }, "m/config.json"),
    (error: unknown) => error instanceof BabelbedError && /m\/config\.json: field "model_type"/.test(error.message),
  );
  assert.throws(
    () => configFromJson({ model_type: "bert", hidden_size: "big" }, "c.json"),
    /c\.json: field "hidden_size" must be a number/,
  );
  assert.throws(
    () => configFromJson({ model_type: "bert", hidden_size: 30, num_attention_heads: 4 }, "c.json"),
    /not a multiple/,
  );
  assert.equal(configFromJson({ model_type: "xlm-roberta" }).typeVocabSize, 1, "XLM-R's default type_vocab_size is 1");
});

test("XLM-RoBERTa reads position rows from padding_idx + 1: equal to BERT with the table shifted", async () => {
  await useBackend("js");
  const bert = tinyConfig({ maxPositionEmbeddings: 16, padTokenId: 1 });
  const xlmr = { ...bert, modelType: "xlm-roberta" as const, extra: {} };
  assert.equal(positionOffset(xlmr), 2);
  const bertModel = Transformer.initialize(bert, 4);
  const weights = bertModel.namedTensors();
  // Move BERT's rows 0..13 to XLM-R's rows 2..15, where XLM-R reads them.
  const positions = weights.get("embeddings.position_embeddings.weight")!;
  weights.set(
    "embeddings.position_embeddings.weight",
    tf.concat([tf.zeros([2, bert.hiddenSize]), positions.slice([0, 0], [14, bert.hiddenSize])]),
  );
  const xlmrModel = new Transformer(xlmr, weights);
  assert.deepEqual(parameterShapes(xlmr).length, parameterShapes(bert).length);
  const batch = batchFromRows(
    [
      [0, 5, 6, 7, 2],
      [0, 8, 2, 1, 1],
    ],
    [
      [1, 1, 1, 1, 1],
      [1, 1, 1, 0, 0],
    ],
  );
  const expected = bertModel.forward(batch);
  const actual = xlmrModel.forward(batch);
  // Padding tokens read the padding row in XLM-R (as HF's position ids give), so compare real tokens only.
  const mask = tf.tensor2d(batch.attentionMask, [2, 5], "int32").toFloat().expandDims(-1);
  assert.ok(tf.max(tf.mul(tf.abs(tf.sub(expected, actual)), mask)).dataSync()[0]! < 1e-6);
  mask.dispose();
  tf.dispose([expected, actual, positions, ...weights.values()]);
  bertModel.dispose();
  xlmrModel.dispose();
});
