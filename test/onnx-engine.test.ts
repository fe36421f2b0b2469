import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";
import { loadSentenceEncoder } from "../src/io/encoder-checkpoint.js";
import { loadOnnxRuntime, OnnxEngine, type OnnxRuntime, withForwardEngine } from "../src/io/onnx/engine.js";
import { batchFromRows } from "../src/model/batch.js";
import type { SentenceEncoder } from "../src/model/sentence-encoder.js";
import { useBackend } from "./helpers/backends.js";
import { fixturesRoot, loadExpected, maxAbsDifference, skipWithoutFixtures } from "./helpers/fixtures.js";
import { fixtureBatch, hubFixtures, loadHubExpected } from "./helpers/hub-fixtures.js";

const runtime = await loadOnnxRuntime();
const skip =
  skipWithoutFixtures || (runtime instanceof Error ? `onnxruntime-node cannot load here: ${runtime.message}` : false);

/** Rows of a flat `[batch * dimension]` result. */
function rows(data: Float32Array, dimension: number): number[][] {
  return Array.from({ length: data.length / dimension }, (_, row) =>
    Array.from(data.subarray(row * dimension, (row + 1) * dimension)),
  );
}

async function engineFor(encoder: SentenceEncoder): Promise<OnnxEngine> {
  return OnnxEngine.create(encoder, runtime as Exclude<typeof runtime, Error>);
}

for (const name of ["tiny-bert", "tiny-bert-uncased"] as const) {
  test(`${name}: the ONNX engine's vectors match PyTorch's within 1e-5 on the fixture's padded batch`, {
    skip,
  }, async () => {
    await useBackend("wasm");
    const expected = loadExpected(name);
    const encoder = await loadSentenceEncoder(path.join(fixturesRoot, name));
    const engine = await engineFor(encoder);
    try {
      const { input_ids, attention_mask, token_type_ids } = expected.batch;
      const data = await engine.vectors(batchFromRows(input_ids, attention_mask, token_type_ids));
      const field = (expected.sentence_transformers.embedding_field as string).split(".")[1]!;
      const difference = maxAbsDifference(rows(data, encoder.dimension), expected.pooled[field]);
      assert.ok(difference <= 1e-5, `vectors differ by ${difference}`);
    } finally {
      await engine.release();
      encoder.dispose();
    }
  });
}

for (const name of hubFixtures) {
  test(`${name}: the ONNX engine's vectors match sentence-transformers and the tfjs path within 1e-5`, {
    skip,
  }, async () => {
    await useBackend("wasm");
    const expected = loadHubExpected(name);
    const encoder = await loadSentenceEncoder(path.join(fixturesRoot, name));
    const engine = await engineFor(encoder);
    try {
      let reference = 0;
      let tfjs = 0;
      for (let start = 0; start < expected.sentences.length; start += 8) {
        const batch = fixtureBatch(encoder, expected, start, start + 8);
        const ours = rows(await engine.vectors(batch), encoder.dimension);
        reference = Math.max(reference, maxAbsDifference(ours, expected.embeddings.slice(start, start + 8)));
        const vectors = encoder.forward(batch);
        tfjs = Math.max(tfjs, maxAbsDifference(ours, vectors.arraySync()));
        vectors.dispose();
      }
      console.log(
        `${name} on onnx: ${reference.toExponential(2)} from sentence-transformers, ${tfjs.toExponential(2)} from tfjs`,
      );
      assert.ok(reference <= 1e-5, `vectors differ from sentence-transformers' by ${reference}`);
      assert.ok(tfjs <= 1e-5, `vectors differ from the tfjs path's by ${tfjs}`);
    } finally {
      await engine.release();
      encoder.dispose();
    }
  });
}

test("encode runs on the ONNX engine inside withForwardEngine, with the tfjs path's vectors, and leaves no tensors", {
  skip,
}, async () => {
  await useBackend("wasm");
  const encoder = await loadSentenceEncoder(path.join(fixturesRoot, "tiny-mpnet"));
  try {
    const texts = [
      "The cat sits on the mat.",
      "A longer sentence, with more words than the first one has.",
      "",
      "東京",
    ];
    const expected = await encoder.encode(texts, { batchSize: 3 });
    const before = tf.memory().numTensors;
    let engineName: string | undefined;
    const actual = await withForwardEngine(encoder, { engine: "onnx" }, async () => {
      engineName = encoder.engine?.name;
      return encoder.encode(texts, { batchSize: 3 });
    });
    assert.equal(engineName, "onnx");
    assert.equal(
      encoder.engine,
      undefined,
      "the engine is detached afterwards, so training never reads a stale snapshot",
    );
    assert.equal(tf.memory().numTensors, before);
    const difference = maxAbsDifference(
      actual.map((vector) => Array.from(vector)),
      expected.map((vector) => Array.from(vector)),
    );
    assert.ok(difference <= 1e-5, `vectors differ by ${difference}`);
  } finally {
    encoder.dispose();
  }
});

test("where onnxruntime cannot load, one line says why and encode runs on tfjs", {
  skip: skipWithoutFixtures,
}, async () => {
  await useBackend("wasm");
  const encoder = await loadSentenceEncoder(path.join(fixturesRoot, "tiny-distilbert"));
  try {
    const lines: string[] = [];
    const loader = async () => {
      throw new Error("Cannot find module 'onnxruntime-node'\nRequire stack: ...");
    };
    let engineName: string | undefined = "unset";
    const vectors = await withForwardEngine(
      encoder,
      { engine: "onnx", loader, log: (line) => lines.push(line) },
      async () => {
        engineName = encoder.engine?.name;
        return encoder.encode(["ein Satz", "a sentence"]);
      },
    );
    assert.equal(engineName, undefined, "tfjs ran the passes");
    assert.equal(vectors.length, 2);
    assert.deepEqual(lines, [
      "engine: onnx unavailable (Cannot find module 'onnxruntime-node'); forward passes run on tfjs",
    ]);
  } finally {
    encoder.dispose();
  }
});

test("where onnxruntime loads but refuses the model's session, one line says why and encode runs on tfjs", {
  skip: skipWithoutFixtures,
}, async () => {
  await useBackend("wasm");
  const encoder = await loadSentenceEncoder(path.join(fixturesRoot, "tiny-distilbert"));
  try {
    const lines: string[] = [];
    const refusing = {
      InferenceSession: {
        create: async () => {
          throw new Error("ENOSPC: no space left on device, write\nmore detail");
        },
      },
    } as unknown as OnnxRuntime;
    let engineName: string | undefined = "unset";
    const vectors = await withForwardEngine(
      encoder,
      { engine: "onnx", loader: async () => refusing, log: (line) => lines.push(line) },
      async () => {
        engineName = encoder.engine?.name;
        return encoder.encode(["ein Satz", "a sentence"]);
      },
    );
    assert.equal(engineName, undefined, "tfjs ran the passes");
    assert.equal(vectors.length, 2);
    assert.deepEqual(lines, [
      "engine: onnx could not be built (ENOSPC: no space left on device, write); forward passes run on tfjs",
    ]);
  } finally {
    encoder.dispose();
  }
});

test("the ONNX engine reads the weights as they are when it is built: after a change, the new model's vectors", {
  skip,
}, async () => {
  await useBackend("wasm");
  const encoder = await loadSentenceEncoder(path.join(fixturesRoot, "tiny-bert-pooling"));
  try {
    const texts = ["The cat sits on the mat.", "Another sentence."];
    const before = await withForwardEngine(encoder, {}, () => encoder.encode(texts));
    // What a training step does: the weights move in place.
    const weight = encoder.dense[0]!.weight;
    weight.assign(tf.tidy(() => tf.mul(weight, -1)));
    const after = await withForwardEngine(encoder, {}, () => encoder.encode(texts));
    const tfjs = await encoder.encode(texts);
    const difference = maxAbsDifference(
      after.map((vector) => Array.from(vector)),
      tfjs.map((vector) => Array.from(vector)),
    );
    assert.ok(difference <= 1e-5, `the rebuilt engine differs from the changed model by ${difference}`);
    assert.ok(
      maxAbsDifference(
        before.map((vector) => Array.from(vector)),
        after.map((vector) => Array.from(vector)),
      ) > 1e-2,
      "the change shows",
    );
  } finally {
    encoder.dispose();
  }
});

test("the ONNX engine gives the same vectors on 1 and on 2 threads", { skip }, async () => {
  await useBackend("wasm");
  const expected = loadHubExpected("tiny-xlmr");
  const encoder = await loadSentenceEncoder(path.join(fixturesRoot, "tiny-xlmr"));
  const [one, two] = [
    await OnnxEngine.create(encoder, runtime as Exclude<typeof runtime, Error>, 1),
    await OnnxEngine.create(encoder, runtime as Exclude<typeof runtime, Error>, 2),
  ];
  try {
    const batch = fixtureBatch(encoder, expected, 0, 30);
    const [a, b] = [await one.vectors(batch), await two.vectors(batch)];
    const difference = maxAbsDifference(Array.from(a), Array.from(b));
    console.log(`onnx 1 vs 2 threads: ${difference}`);
    assert.ok(difference <= 1e-6, `threads change vectors by ${difference}`);
  } finally {
    await one.release();
    await two.release();
    encoder.dispose();
  }
});
