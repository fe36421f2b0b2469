import "./colour.js";
import { preflight } from "./preflight.js";
import { BabelbedError } from "../util/errors.js";

// A reader that goes away (`babelbed run … | head`) must not kill a run: what it no longer
// shows is in the run's metrics.jsonl and report. Without a listener, EPIPE is an uncaught error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE" && error.code !== "ERR_STREAM_DESTROYED") throw error;
  });
}

// The executable's entry: everything else lives in program.ts, which tests import without running it.
// A mistyped path or --task is reported before program.ts loads tfjs and the commands (seconds).
const early = await preflight(process.argv.slice(2)).then(
  () => undefined,
  (error: unknown) => error,
);
if (early instanceof BabelbedError) {
  process.stderr.write(`babelbed: ${early.message}\n`);
  process.exitCode = early.exitCode;
} else {
  const { main } = await import("./program.js");
  process.exitCode = await main(process.argv.slice(2));
}
