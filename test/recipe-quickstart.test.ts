import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { repositoryRoot } from "./helpers/fixtures.js";

const recipe = path.join(repositoryRoot, "recipes", "ci", "quickstart-tiny.yaml");
const cli = path.join(repositoryRoot, "bin", "babelbed.js");
let work: string;

interface Summary {
  results: { step: string; before?: Record<string, number>; after: Record<string, number> }[];
}

/** Run the CLI; `killWhen` sees metrics.jsonl after each poll and may ask for SIGKILL. */
function babelbed(args: string[], output: string, killWhen?: (records: Record<string, unknown>[]) => boolean) {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [cli, ...args, "--output", output, "--device", "wasm"], {
      env: { ...process.env, BABELBED_CACHE: path.join(work, "cache") },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const poll = killWhen
      ? setInterval(async () => {
          const records = await metrics(output).catch(() => []);
          if (killWhen(records)) child.kill("SIGKILL");
        }, 200)
      : undefined;
    child.on("exit", (code, signal) => {
      if (poll) clearInterval(poll);
      resolve({ code, signal, stderr });
    });
  });
}

async function metrics(output: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(path.join(output, "metrics.jsonl"), "utf8");
  return text.split("\n").flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return []; // a line cut short by the kill
    }
  });
}

async function summary(output: string): Promise<Summary> {
  return JSON.parse(await readFile(path.join(output, "summary.json"), "utf8")) as Summary;
}

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), "babelbed-quickstart-"));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

test("the quickstart recipe (ci size) improves held-out retrieval and STS over the untrained student, and exports it", async () => {
  const output = path.join(work, "straight");
  const result = await babelbed(["run", recipe], output);
  assert.equal(result.code, 0, result.stderr);
  const student = (await summary(output)).results.find((entry) => entry.step === "student")!;
  for (const metric of ["en-ja/accuracy", "en-de/accuracy", "en-sts/spearman"]) {
    assert.ok(
      student.after[metric]! > student.before![metric]!,
      `${metric}: ${student.before![metric]} → ${student.after[metric]}`,
    );
  }
  assert.ok(student.after["en-ja-mse/mse_target"]! < student.before!["en-ja-mse/mse_target"]!);
  for (const file of ["modules.json", "model.safetensors", "config.json", "vocab.txt", "1_Pooling/config.json"]) {
    assert.ok(existsSync(path.join(output, "student", file)), `export has ${file}`);
  }
  const logged = await metrics(output);
  assert.ok(
    logged.some((record) => record.step === "student" && typeof record.loss === "number"),
    "training losses are logged",
  );
  assert.ok(existsSync(path.join(output, "recipe.resolved.yaml")));
  assert.match(
    await readFile(path.join(output, "report.html"), "utf8"),
    /quickstart-ci <span class="status finished">/,
    "the run wrote its report",
  );
  // The teacher is evaluated every 100 steps and after training; the model kept is the best of them.
  const teacher = (await summary(output)).results.find((entry) => entry.step === "teacher")!;
  const evaluated = logged.filter(
    (record) => record.step === "teacher" && (record.phase === "during" || record.phase === "after"),
  );
  assert.equal(evaluated.length, 3);
  assert.equal(
    teacher.after["en-sts/spearman"],
    Math.max(...evaluated.map((record) => record["en-sts/spearman"] as number)),
  );
});

test("a run killed mid-training and resumed ends with the same metrics as an uninterrupted run, reusing the teacher cache", async () => {
  const reference = await summary(path.join(work, "straight"));
  const output = path.join(work, "killed");
  const killed = await babelbed(["run", recipe], output, (records) =>
    records.some(
      (record) => record.step === "student" && typeof record.trainingStep === "number" && record.trainingStep >= 30,
    ),
  );
  assert.equal(killed.signal, "SIGKILL", "the first run was killed, not finished");
  const cache = (await metrics(output)).filter(
    (record) => record.event === "teacher-cache" && record.sentences === 800,
  );
  assert.deepEqual(
    cache.map((record) => record.computed),
    [0],
    "the second run computed no teacher vector",
  );

  const resumed = await babelbed(["run", recipe, "--resume"], output);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /teacher: done in an earlier run, skipped/);
  assert.match(resumed.stderr, /student: resumed from step (20|40)/);
  assert.deepEqual(
    (await summary(output)).results.map(({ step, before, after }) => ({ step, before, after })),
    reference.results.map(({ step, before, after }) => ({ step, before, after })),
  );
});
