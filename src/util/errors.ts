/**
 * A user-facing error: the CLI prints its message without a stack trace.
 * It lives apart from files.ts so that modules bundled for the browser can throw it without pulling in node:fs.
 */
export class BabelbedError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = "BabelbedError";
  }
}
