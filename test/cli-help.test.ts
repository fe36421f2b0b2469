import assert from "node:assert/strict";
import { test } from "node:test";
import { buildProgram, exitCodes, main } from "../src/cli/program.js";

/** Everything `babelbed COMMAND --help` prints, the text added after the options included. */
function helpOf(name: string): string {
  const command = buildProgram().commands.find((candidate) => candidate.name() === name);
  assert.ok(command, `babelbed ${name} exists`);
  let text = "";
  command.configureOutput({ writeOut: (chunk) => (text += chunk), writeErr: (chunk) => (text += chunk) });
  command.outputHelp();
  return text;
}

test("every command's --help shows an example that starts with babelbed", () => {
  const names = buildProgram().commands.map((command) => command.name());
  assert.deepEqual(names.sort(), ["encode", "evaluate", "export", "info", "report", "run", "segment", "wizard"]);
  for (const name of names) {
    const help = helpOf(name);
    assert.match(help, /Examples?( \([^)]*\))?:\n\s+babelbed /, `babelbed ${name} --help has an example`);
    assert.match(help, /Usage: babelbed /, `babelbed ${name} --help has its usage line`);
  }
});

test("exit codes: --help is success, an unknown command or option is a usage error", async () => {
  const silence = process.stderr.write;
  const written: string[] = [];
  process.stderr.write = ((chunk: string) => (written.push(String(chunk)), true)) as typeof process.stderr.write;
  const out = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    assert.equal(await main(["run", "--help"]), exitCodes.success);
    assert.equal(await main(["transmogrify"]), exitCodes.usage);
    assert.equal(await main(["report", "--no-such-flag"]), exitCodes.usage);
  } finally {
    process.stderr.write = silence;
    process.stdout.write = out;
  }
  assert.ok(
    written.some((line) => line.includes("unknown command 'transmogrify'")),
    written.join(""),
  );
});
