import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { buildProgram } from "../src/cli/program.js";
import { babelbed, cliPath } from "./helpers/cli.js";
import { fixturesRoot, repositoryRoot, skipWithoutFixtures } from "./helpers/fixtures.js";

/** Any escape sequence (colour, cursor, line erase). */
const escape = /\x1b/;
/** A colour or style escape (SGR): what NO_COLOR forbids, unlike the spinner's cursor moves. */
const colour = /\x1b\[[0-9;]*m/;

function helpOf(name: string): string {
  const command = buildProgram().commands.find((candidate) => candidate.name() === name)!;
  let text = "";
  command.configureOutput({ writeOut: (chunk) => (text += chunk), writeErr: (chunk) => (text += chunk) });
  command.outputHelp();
  return text.replace(/\s+/g, " ");
}

test("help marks required options, shows the wizard's defaults and says how --minutes is shared", () => {
  const encode = helpOf("encode");
  for (const option of ["--model", "--input", "--output"])
    assert.match(encode, new RegExp(`${option} <\\w+> \\(required\\)`), option);
  assert.doesNotMatch(encode, /--batch-size <n> \(required\)/);
  assert.match(encode, /--batch-size <n> sentences per forward pass \(default: 32\)/);
  assert.match(helpOf("evaluate"), /--task <task> \(required\)/);
  const wizard = helpOf("wizard");
  for (const shown of [
    /--size <size> .*\(default: small\)/,
    /--epochs <n> .*\(default: 20 under 5,000 pairs/,
    /--held-out <n> .*\(default: 10% of the pairs/,
    /--teacher <dir\|train> .*\(default: train\)/,
    /--device <device> .*\(default: auto\)/,
  ]) {
    assert.match(wizard, shown);
  }
  assert.match(
    wizard,
    /--minutes <m> a time budget for the whole recipe: a teacher to train gets a third and the student two thirds/,
  );
  assert.doesNotMatch(wizard, /maxMinutes per step/);
});

test("encode --output - writes JSON lines to stdout; redirected stderr has one device line and no escape codes; --verbose says more", {
  skip: skipWithoutFixtures,
}, async () => {
  const work = await mkdtemp(path.join(tmpdir(), "babelbed-output-"));
  try {
    const input = path.join(work, "in.txt");
    await writeFile(input, "a cat\n\nein Hund\n");
    const model = path.join(fixturesRoot, "tiny-bert");
    const file = path.join(work, "out.jsonl");
    const [piped, written, verbose] = await Promise.all([
      babelbed(["encode", "--model", model, "--input", input, "--output", "-", "--device", "auto"]),
      babelbed(["encode", "--model", model, "--input", input, "--output", file, "--device", "auto"]),
      babelbed(["encode", "--verbose", "--model", model, "--input", input, "--output", "-", "--device", "auto"]),
    ]);
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(piped.stdout, await readFile(file, "utf8"), "stdout holds what the file holds");
    assert.deepEqual(
      piped.stdout
        .trimEnd()
        .split("\n")
        .map((line) => (JSON.parse(line) as { text: string }).text),
      ["a cat", "", "ein Hund"],
    );
    for (const result of [piped, written, verbose])
      assert.doesNotMatch(
        result.stderr,
        escape,
        `no escape codes in redirected stderr: ${JSON.stringify(result.stderr)}`,
      );
    const deviceLines = (text: string) => text.split("\n").filter((line) => line.startsWith("device:"));
    assert.equal(deviceLines(piped.stderr).length, 1, piped.stderr);
    assert.match(deviceLines(piped.stderr)[0]!, /^device: \w+ \(tfjs backend "\w+"/);
    assert.ok(deviceLines(verbose.stderr).length > 1, verbose.stderr);
    assert.equal(verbose.stdout, piped.stdout);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

/** `babelbed ARGS` on a pseudo-terminal (util-linux `script`), everything it wrote to it. */
function onTerminal(args: string[], extra: NodeJS.ProcessEnv): Promise<string> {
  // Colour as a user's shell has it: neither NO_COLOR nor FORCE_COLOR unless given, and no CI
  // (CI=true, as CI sets it, turns chalk's colour off even on a terminal).
  const { NO_COLOR: _noColour, FORCE_COLOR: _forceColour, CI: _ci, ...inherited } = process.env;
  const env = { ...inherited, TERM: "xterm-256color", ...extra };
  // A terminal of a real size: on script's 0-column one, ora's spinner redraws without end.
  const command = `stty cols 100 rows 40; ${[process.execPath, cliPath, ...args].map((part) => `'${part.replace(/'/g, "'\\''")}'`).join(" ")}`;
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-q", "-e", "-c", command, "/dev/null"], {
      cwd: repositoryRoot,
      env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    // stdin stays open until the command ends: at end of input script would hang up the terminal, and the spinner loop on a closed one.
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(output) : reject(new Error(`exit ${code}: ${output}`))));
    child.on("exit", () => child.stdin.end());
  });
}

test("on a terminal the summary is coloured, and NO_COLOR turns colour off", {
  skip:
    skipWithoutFixtures || (existsSync("/usr/bin/script") ? false : "needs util-linux script for a pseudo-terminal"),
}, async () => {
  const work = await mkdtemp(path.join(tmpdir(), "babelbed-output-"));
  try {
    const input = path.join(work, "in.txt");
    await writeFile(input, "a cat\n");
    const args = [
      "encode",
      "--model",
      path.join(fixturesRoot, "tiny-bert"),
      "--input",
      input,
      "--output",
      path.join(work, "out.jsonl"),
      "--device",
      "js",
    ];
    const [coloured, uncoloured] = await Promise.all([onTerminal(args, {}), onTerminal(args, { NO_COLOR: "1" })]);
    assert.match(coloured, colour, "a terminal gets colour");
    assert.match(uncoloured, /1 sentences → /);
    assert.doesNotMatch(uncoloured, colour, `NO_COLOR: ${JSON.stringify(uncoloured)}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
