import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { loadOnnxRuntime, OnnxEngine } from "../src/io/onnx/engine.js";
import { loadRecipe } from "../src/recipes/load.js";
import { runRecipe } from "../src/recipes/run.js";
import { useBackend } from "./helpers/backends.js";
import { writeTinyRecipe } from "./helpers/tiny-run.js";

let work: string;
before(async () => {
  work = await mkdtemp(path.join(tmpdir(), "babelbed-engine-threads-"));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

test("a recipe run's --threads reaches the onnx engine of every evaluation", async (context) => {
  if ((await loadOnnxRuntime()) instanceof Error) {
    context.skip("onnxruntime-node is not installed here (an optional dependency)");
    return;
  }
  await useBackend("wasm");
  const create = OnnxEngine.create;
  const threads: Array<number | undefined> = [];
  OnnxEngine.create = (encoder, runtime, count) => {
    threads.push(count);
    return create.call(OnnxEngine, encoder, runtime, count);
  };
  try {
    const recipe = await writeTinyRecipe(work, { steps: 2 });
    for (const count of [1, undefined]) {
      threads.length = 0;
      await runRecipe(await loadRecipe(recipe), {
        output: path.join(work, `run-${count ?? "default"}`),
        engine: "onnx",
        ...(count === undefined ? {} : { threads: count }),
      });
      // The evaluate step's engine (the tiny teacher step evaluates nothing).
      assert.ok(threads.length >= 1, `${threads.length} onnx engines built`);
      assert.ok(
        threads.every((value) => value === count),
        `threads ${JSON.stringify(threads)}, asked ${count}`,
      );
    }
  } finally {
    OnnxEngine.create = create;
  }
});
