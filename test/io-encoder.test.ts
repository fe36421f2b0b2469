import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { loadSentenceEncoder, saveSentenceEncoder } from "../src/io/encoder-checkpoint.js";
import { readSafetensors } from "../src/io/safetensors.js";
import { readSentenceTransformerLayout } from "../src/io/sentence-transformers/index.js";
import { testBackends, useBackend } from "./helpers/backends.js";
import { fixtureNames, fixturesRoot, loadExpected, maxAbsDifference, skipWithoutFixtures } from "./helpers/fixtures.js";

for (const backend of testBackends) {
  for (const name of fixtureNames) {
    test(`${name}: SentenceEncoder.encode equals sentence-transformers' output, and export → import is exact, on ${backend}`, {
      skip: skipWithoutFixtures,
    }, async () => {
      await useBackend(backend);
      const expected = loadExpected(name);
      const source = path.join(fixturesRoot, name);
      const encoder = await loadSentenceEncoder(source);
      const texts = expected.sentences.map((sentence: { text: string }) => sentence.text);
      const field = expected.sentence_transformers.embedding_field.replace(/^pooled\./, "");
      // A small batch size makes the length-sorted batching reorder sentences across batches.
      const before = tf.memory().numTensors;
      const vectors = await encoder.encode(texts, { batchSize: 7 });
      assert.equal(tf.memory().numTensors, before, "encode leaves no tensors behind");
      assert.ok(
        maxAbsDifference(
          vectors.map((vector) => Array.from(vector)),
          expected.pooled[field],
        ) < 1e-5,
        `embeddings vs pooled.${field}`,
      );

      const work = await mkdtemp(path.join(tmpdir(), "babelbed-export-"));
      try {
        const exported = path.join(work, "student");
        await saveSentenceEncoder(encoder, exported);
        const files = await readdir(exported);
        for (const file of [
          "config.json",
          "model.safetensors",
          "modules.json",
          "sentence_bert_config.json",
          "config_sentence_transformers.json",
          "1_Pooling",
          "tokenizer_config.json",
        ]) {
          assert.ok(files.includes(file), `export has ${file}`);
        }
        assert.deepEqual(
          (await readSentenceTransformerLayout(exported)).map((module) => module.kind),
          (await readSentenceTransformerLayout(source)).map((module) => module.kind),
        );
        // The fixture's tensors come back byte for byte.
        const original = (await readSafetensors(path.join(source, "model.safetensors"))).tensors;
        const written = (await readSafetensors(path.join(exported, "model.safetensors"))).tensors;
        assert.deepEqual([...written.keys()].sort(), [...original.keys()].sort());
        for (const [tensorName, tensor] of original) {
          const copy = written.get(tensorName)!;
          assert.deepEqual(copy.shape, tensor.shape, tensorName);
          assert.ok(
            Buffer.from(copy.data.buffer, copy.data.byteOffset, copy.data.byteLength).equals(
              Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength),
            ),
            `${tensorName} bytes`,
          );
        }
        const reloaded = await loadSentenceEncoder(exported);
        const again = await reloaded.encode(texts, { batchSize: 7 });
        again.forEach((vector, index) =>
          assert.deepEqual(
            Array.from(vector),
            Array.from(vectors[index]!),
            `sentence ${index} bit-exact after the round trip`,
          ),
        );
        // Exporting over an existing export replaces it whole.
        await saveSentenceEncoder(reloaded, exported);
        assert.deepEqual((await readdir(work)).sort(), ["student"]);
        reloaded.dispose();
      } finally {
        encoder.dispose();
        await rm(work, { recursive: true, force: true });
      }
    });
  }
}
