import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import { batchFromRows } from "../src/model/batch.js";
import { pool } from "../src/model/pooling.js";
import { l2Normalize } from "../src/model/layers.js";
import {
  fixtureNames,
  loadExpected,
  loadFixtureTransformer,
  maxAbsDifference,
  skipWithoutFixtures,
} from "./helpers/fixtures.js";
import { testBackends, useBackend } from "./helpers/backends.js";

for (const backend of testBackends) {
  for (const name of fixtureNames) {
    test(`${name} forward matches the PyTorch reference within 1e-5 on ${backend}`, {
      skip: skipWithoutFixtures,
    }, async () => {
      await useBackend(backend);
      const expected = loadExpected(name);
      const model = await loadFixtureTransformer(name);
      const before = tf.memory().numTensors;
      const batch = batchFromRows(
        expected.batch.input_ids,
        expected.batch.attention_mask,
        expected.batch.token_type_ids,
      );
      const hidden = model.forward(batch);
      const values = hidden.arraySync();
      for (const item of expected.last_hidden_state) {
        const rows = values[item.index]!.slice(0, item.length);
        assert.ok(maxAbsDifference(rows, item.values) < 1e-5, `last_hidden_state[${item.index}]`);
      }
      const mask = tf.tensor2d(batch.attentionMask, [batch.batchSize, batch.length], "int32");
      for (const mode of ["mean", "cls", "max"] as const) {
        const pooled = pool(hidden, mask, mode);
        assert.ok(maxAbsDifference(pooled.arraySync(), expected.pooled[mode]) < 1e-5, `pooled.${mode}`);
        if (mode !== "max") {
          const normalized = l2Normalize(pooled);
          assert.ok(
            maxAbsDifference(normalized.arraySync(), expected.pooled[`${mode}_normalized`]) < 1e-5,
            `${mode}_normalized`,
          );
          normalized.dispose();
        }
        pooled.dispose();
      }
      const poolerOutput = model.pool(hidden);
      const pooler = poolerOutput.arraySync();
      poolerOutput.dispose();
      const rows = expected.pooler_output.indices.map((index: number) => pooler[index]);
      assert.ok(maxAbsDifference(rows, expected.pooler_output.values) < 1e-5, "pooler_output");
      tf.dispose([hidden, mask]);
      assert.equal(tf.memory().numTensors, before, "forward leaves no tensors behind");

      for (const pair of expected.tlm_pairs) {
        const length = pair.input_ids.length;
        const tlm = batchFromRows([pair.input_ids], [new Array(length).fill(1)], [pair.token_type_ids]);
        const output = model.forward(tlm);
        assert.ok(maxAbsDifference(output.arraySync()[0], pair.last_hidden_state) < 1e-5, `tlm pair ${pair.text_a}`);
        output.dispose();
      }
      model.dispose();
    });
  }
}
