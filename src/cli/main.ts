import "./colour.js";
import { main } from "./program.js";

// A reader that goes away (`babelbed run … | head`) must not kill a run: what it no longer
// shows is in the run's metrics.jsonl and report. Without a listener, EPIPE is an uncaught error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE" && error.code !== "ERR_STREAM_DESTROYED") throw error;
  });
}

// The executable's entry: everything else lives in program.ts, which tests import without running it.
process.exitCode = await main(process.argv.slice(2));
