import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { repositoryRoot } from "./fixtures.js";

const run = promisify(execFile);

/** The CLI as users start it (bin/babelbed.js runs the TypeScript sources in a clone). */
export const cliPath = path.join(repositoryRoot, "bin", "babelbed.js");

/** Run `babelbed ARGS` in a child process and collect its exit code and output. */
export async function babelbed(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cliPath, ...args], { maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}
