import { spawn } from "node:child_process";
import * as path from "node:path";
import { repositoryRoot } from "./fixtures.js";

/** The CLI as users start it: bin/babelbed.js runs the TypeScript sources in a clone, never a stale dist/. */
export const cliPath = path.join(repositoryRoot, "bin", "babelbed.js");

/**
 * Run `babelbed ARGS` in a child process from the repository root, with stdin not a
 * terminal (as in CI or a script), and collect its exit code and output.
 */
export function babelbed(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      cwd: options.cwd ?? repositoryRoot,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/**
 * `babelbed ARGS` inside this process (no start-up cost): the exit code `main` returns and what
 * it wrote to stdout and stderr, which are captured rather than shown.
 */
export async function babelbedInProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { main } = await import("../../src/cli/program.js");
  let stdout = "";
  let stderr = "";
  const writes = [process.stdout.write, process.stderr.write] as const;
  process.stdout.write = ((chunk: string | Uint8Array) => (
    (stdout += chunk.toString()), true
  )) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => (
    (stderr += chunk.toString()), true
  )) as typeof process.stderr.write;
  try {
    return { code: await main(args), stdout, stderr };
  } finally {
    [process.stdout.write, process.stderr.write] = writes;
  }
}
