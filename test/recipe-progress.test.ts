import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { Reporter } from "../src/cli/reporter.js";
import { loadRecipe } from "../src/recipes/load.js";
import { RecipeProgress, type StepEta } from "../src/recipes/progress.js";
import { runRecipe } from "../src/recipes/run.js";
import type { RecipeStep } from "../src/recipes/schema.js";
import { useBackend } from "./helpers/backends.js";
import { repositoryRoot } from "./helpers/fixtures.js";
import { tinyRecipeText } from "./helpers/tiny-run.js";

let work: string;
const cacheBefore = process.env.BABELBED_CACHE;
before(async () => {
  work = await mkdtemp(path.join(tmpdir(), "babelbed-recipe-progress-"));
  // A cache of its own, so the teacher's vectors are computed here, not found from an earlier run.
  process.env.BABELBED_CACHE = path.join(work, "cache");
});
after(async () => {
  if (cacheBefore === undefined) delete process.env.BABELBED_CACHE;
  else process.env.BABELBED_CACHE = cacheBefore;
  await rm(work, { recursive: true, force: true });
});

const dataset = (name: string) => path.join(repositoryRoot, "datasets", name).replaceAll("\\", "/");

/** What `run` writes to stderr while `work` runs. */
function stderrOf(work: () => void): string[] {
  const written: string[] = [];
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    work();
  } finally {
    process.stderr.write = original;
  }
  return written;
}

const twoSteps = [
  { step: "train-teacher", name: "teacher" },
  { step: "distill", name: "student" },
] as unknown as RecipeStep[];

test("distill counts the teacher vectors it computes, batch by batch, to the last", async () => {
  await useBackend("wasm");
  const recipe = path.join(work, "distill.yaml");
  await writeFile(
    recipe,
    tinyRecipeText({
      name: "teacher-count",
      steps: 2,
      extra: `  - step: distill
    name: student
    teacher: teacher
    student:
      fresh: { hiddenSize: 16, layers: 1, heads: 2, intermediateSize: 32, dropout: 0.1, vocabulary: { size: 300, lowercase: true } }
      pooling: mean
      maxSeqLength: 24
    data:
      - { kind: parallel, file: ${dataset("en-de/train.tsv")}, format: tsv, header: true, columns: { source: en, target: de } }
    training: { maxSteps: 2, batchSize: 8, learningRate: 1.0e-3 }
`,
    }),
  );
  const lines: string[] = [];
  const activities: string[] = [];
  const etas: { line: string; eta: StepEta | undefined }[] = [];
  const loaded = await loadRecipe(recipe);
  await runRecipe(loaded, {
    output: path.join(work, "distill-run"),
    engine: "tfjs",
    log: (line) => lines.push(line),
    activity: (line) => activities.push(line),
    progress: (line, _done, eta) => etas.push({ line, eta }),
  });
  const counts = activities.map((line) => {
    const match = /^student: teacher vectors (\d+)\/(\d+)$/.exec(line);
    assert.ok(match, line);
    return [Number(match[1]), Number(match[2])] as const;
  });
  // 400 pairs, in batches of 64: a count after each batch, rising to the whole.
  const total = counts[0]![1];
  assert.ok(total > 300 && total <= 400, `${total} distinct source sentences`);
  assert.equal(counts.length, Math.ceil(total / 64));
  assert.deepEqual(
    counts.map(([done]) => done),
    counts.map((_, index) => Math.min((index + 1) * 64, total)),
  );
  assert.ok(counts.every(([, of]) => of === total));
  assert.ok(lines.includes(`student: ${total} computed, ${400 - total} from the cache`), lines.join("\n"));

  // The teacher's loop measures its rate, and the recipe's ETA times the distill step (maxSteps: 2) with it.
  const teacherEta = etas.find(({ line }) => line.startsWith("teacher: step 2/2"))?.eta;
  assert.ok(teacherEta?.secondsPerStep !== undefined && teacherEta.secondsPerStep > 0, JSON.stringify(teacherEta));
  const progress = new RecipeProgress(loaded.recipe.steps);
  progress.begin(0);
  assert.match(progress.summary(teacherEta), /, ETA ~\d+s \+ 1 more step$/, "the evaluate step stays unsized");
});

test("later steps with a size in steps are timed at the measured rate, per batch row, capped by maxMinutes", () => {
  const steps = [
    { step: "train-teacher", name: "teacher", training: { batchSize: 16 } },
    { step: "distill", name: "student", training: { maxSteps: 200, batchSize: 32 } },
    { step: "evaluate", name: "check" },
    {
      step: "pretrain",
      name: "pretrained",
      stages: [
        { layers: 1, steps: 50 },
        { layers: 2, steps: 50 },
      ],
      training: { batchSize: 16 },
    },
    { step: "export", name: "python" },
    { step: "dual-encoder", name: "dual", training: { maxSteps: 1000, maxMinutes: 1, batchSize: 16 } },
  ] as unknown as RecipeStep[];
  const progress = new RecipeProgress(steps, () => 0);
  progress.begin(0);
  // 30 s left here; student 200 steps × 0.5 s × 32/16 = 200 s; pretrain 100 × 0.5 s = 50 s; dual min(500 s, 60 s).
  assert.equal(progress.summary({ seconds: 30, secondsPerStep: 0.5 }), "recipe 0s elapsed, ETA ~5m40s + 2 more steps");
  // Without a measured rate: maxMinutes alone, as an upper bound, and the rest named.
  assert.equal(progress.summary({ seconds: 30 }), "recipe 0s elapsed, ETA ≤ 1m30s + 4 more steps");
  progress.begin(4);
  assert.equal(progress.summary({ seconds: 5, secondsPerStep: 0.5 }), "recipe 0s elapsed, ETA ~1m05s");
});

test("the spinner shows the count in place of its line; redirected, a count line every 10 s at most", () => {
  const terminal = new Reporter(true);
  terminal.follow(new RecipeProgress(twoSteps));
  terminal.stepStarted(1);
  const shown = stderrOf(() => {
    terminal.log("student: teacher vectors for 400 source sentences");
    terminal.activity("student: teacher vectors 64/400");
    terminal.activity("student: teacher vectors 400/400");
    terminal.log("student: 400 computed, 0 from the cache");
    terminal.finish();
  });
  // Where ora cannot spin (no TTY under the test runner) it writes each spinner's last text when it stops.
  assert.ok(
    shown.some((chunk) => chunk.includes("[2/2] student: teacher vectors 400/400")),
    JSON.stringify(shown),
  );
  assert.ok(!shown.some((chunk) => chunk.includes("64/400")), "one line, rewritten, not a line per batch");

  const piped = new Reporter(false);
  piped.follow(new RecipeProgress(twoSteps));
  piped.stepStarted(1);
  const printed = stderrOf(() => {
    piped.activity("student: teacher vectors 64/400");
    piped.activity("student: teacher vectors 128/400");
    piped.finish();
  });
  assert.deepEqual(printed, ["[2/2] student: teacher vectors 64/400\n"]);
});
