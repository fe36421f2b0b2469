import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { loadSentenceEncoder } from "../src/index.js";
import type { SentenceEncoder } from "../src/model/sentence-encoder.js";
import { computeGradients, disposeGradients } from "../src/train/gradients.js";
import { testBackends, useBackend } from "./helpers/backends.js";
import { babelbed } from "./helpers/cli.js";
import { readSafetensors } from "../src/io/safetensors.js";
import { fixturesRoot, maxAbsDifference, skipWithoutFixtures } from "./helpers/fixtures.js";
import { embeddingDifference, fixtureBatch, hubFixtures, loadHubExpected } from "./helpers/hub-fixtures.js";

function tokenMatches(encoder: SentenceEncoder, sentence: { text: string; input_ids: number[] }): boolean {
  return (
    JSON.stringify(Array.from(encoder.tokenize([sentence.text])[0]!.inputIds)) === JSON.stringify(sentence.input_ids)
  );
}

/** Parameter names in grads.safetensors (`0.model.<HF name>`, `<module>.linear.*`) to babelbed's. */
function babelbedName(reference: string, denseModules: string[]): string {
  if (reference.startsWith("0.model.")) return reference.slice("0.model.".length);
  const [module, ...rest] = reference.split(".");
  return `dense.${denseModules.indexOf(module!)}.${rest.join(".")}`;
}

for (const backend of testBackends) {
  for (const name of hubFixtures) {
    test(`${name}: embeddings, MSE loss and every gradient match sentence-transformers on ${backend}`, {
      skip: skipWithoutFixtures,
    }, async () => {
      await useBackend(backend);
      const expected = loadHubExpected(name);
      const before = tf.memory().numTensors;
      const encoder = await loadSentenceEncoder(path.join(fixturesRoot, name));
      const embeddings = embeddingDifference(encoder, expected);
      assert.ok(embeddings <= 1e-5, `embeddings differ by ${embeddings}`);
      // From text: ids exact and `encode` (length-sorted batches) within 1e-5, where the tokenizer is exact (XLM-R's is not yet).
      const texts = (expected.sentences as { text: string; input_ids: number[] }[]).filter(
        (sentence) => name !== "tiny-xlmr" || tokenMatches(encoder, sentence),
      );
      for (const sentence of texts)
        assert.deepEqual(Array.from(encoder.tokenize([sentence.text])[0]!.inputIds), sentence.input_ids, sentence.text);
      const encoded = await encoder.encode(
        texts.map((sentence) => sentence.text),
        { batchSize: 8 },
      );
      const fromText = maxAbsDifference(
        encoded,
        texts.map((sentence) => expected.embeddings[expected.sentences.indexOf(sentence)]),
      );
      assert.ok(fromText <= 1e-5, `vectors from text differ by ${fromText}`);

      const reference = expected.mse_gradients;
      const batch = fixtureBatch(encoder, expected, 0, 8);
      const target = tf.tensor2d(reference.target);
      const gradients = computeGradients(encoder, encoder.sparseIds([batch]), (sparse) =>
        tf.tidy(() => tf.mean(tf.squaredDifference(encoder.forward(batch, { sparse }), target)) as tf.Scalar),
      );
      const loss = gradients.loss.dataSync()[0]!;
      assert.ok(Math.abs(loss - reference.loss) <= 1e-6, `loss ${loss} vs ${reference.loss}`);

      const { tensors: expectedGradients } = await readSafetensors(path.join(fixturesRoot, name, "grads.safetensors"));
      const denseModules = (expected.modules as string[]).flatMap((type, index) =>
        type.endsWith(".Dense") ? [String(index)] : [],
      );
      let worst = 0;
      const wordRows = [...expectedGradients.keys()].find((key) => key.endsWith("word_embeddings.weight.rows"))!;
      for (const [reference, values] of expectedGradients) {
        if (reference.includes("word_embeddings.weight.")) continue;
        const gradient = gradients.dense.get(babelbedName(reference, denseModules));
        assert.ok(gradient, `a gradient for ${reference}`);
        const difference = maxAbsDifference(gradient.dataSync(), values.data);
        assert.ok(difference <= 1e-4, `gradient of ${reference} differs by ${difference}`);
        worst = Math.max(worst, difference);
      }
      const referenceIds = Array.from(expectedGradients.get(wordRows)!.data as BigInt64Array, Number);
      const width = encoder.transformer.config.hiddenSize;
      const referenceValues = expectedGradients.get(wordRows.replace(/rows$/, "values"))!.data as Float32Array;
      const referenceRows = referenceIds.map((_, row) =>
        Array.from(referenceValues.subarray(row * width, (row + 1) * width)),
      );
      const rows = gradients.sparse[0]!;
      const ours = rows.gradient.arraySync();
      rows.ids.forEach((id, index) => {
        const at = referenceIds.indexOf(id);
        // Rows the reference leaves out (padding) must have no gradient here either.
        const difference =
          at < 0
            ? maxAbsDifference(
                ours[index],
                ours[index]!.map(() => 0),
              )
            : maxAbsDifference(ours[index], referenceRows[at]);
        assert.ok(difference <= 1e-4, `word embedding row ${id} differs by ${difference}`);
        worst = Math.max(worst, difference);
      });
      for (const id of referenceIds) assert.ok(rows.ids.includes(id), `a gradient for word embedding row ${id}`);
      console.log(
        `${name} on ${backend}: embeddings ${embeddings.toExponential(2)}, loss ${Math.abs(loss - reference.loss).toExponential(2)}, gradients ${worst.toExponential(2)}`,
      );

      disposeGradients(gradients);
      target.dispose();
      encoder.dispose();
      assert.equal(tf.memory().numTensors, before, "no tensors left behind");
    });
  }
}

for (const backend of testBackends) {
  test(`babelbed encode gives sentence-transformers' vectors for the hub fixtures on ${backend}`, {
    skip: skipWithoutFixtures,
  }, async () => {
    const work = await mkdtemp(path.join(tmpdir(), "babelbed-hub-encode-"));
    try {
      for (const name of ["tiny-mpnet", "tiny-distilbert", "tiny-bert-pooling"]) {
        const expected = loadHubExpected(name);
        // One sentence per line: texts with line breaks inside cannot be given.
        const rows = (expected.sentences as { text: string }[])
          .map((sentence, index) => ({ text: sentence.text, vector: expected.embeddings[index] as number[] }))
          .filter((row) => !/[\n\r\u2028\u2029\u0085]/.test(row.text));
        const input = path.join(work, `${name}.txt`);
        await writeFile(input, `${rows.map((row) => row.text).join("\n")}\n`, "utf8");
        const output = path.join(work, `${name}.jsonl`);
        const result = await babelbed([
          "encode",
          "--model",
          path.join(fixturesRoot, name),
          "--input",
          input,
          "--output",
          output,
          "--device",
          backend,
        ]);
        assert.equal(result.code, 0, result.stderr);
        const lines = (await readFile(output, "utf8"))
          .trimEnd()
          .split("\n")
          .map((line) => JSON.parse(line) as { embedding: number[] });
        assert.equal(lines.length, rows.length);
        const difference = maxAbsDifference(
          lines.map((line) => line.embedding),
          rows.map((row) => row.vector),
        );
        assert.ok(difference <= 1e-5, `${name}: babelbed encode differs by ${difference}`);
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
}
