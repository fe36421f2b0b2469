import "./colour.js";
import { main } from "./program.js";

// The executable's entry: everything else lives in program.ts, which tests import without running it.
process.exitCode = await main(process.argv.slice(2));
