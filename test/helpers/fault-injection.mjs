// A preload (`node --import ./test/helpers/fault-injection.mjs …`) for the fault-injection test:
// counts the file-system operations a run makes through fs.promises (writes, renames, removals,
// opens, folder creation) and kills the process with SIGKILL just before operation
// BABELBED_FAULT_AT, as a power cut or `kill -9` would. BABELBED_FAULT_COUNT names a file that
// receives the count when the process ends normally.
import { promises as fs, writeFileSync } from "node:fs";

const at = Number(process.env.BABELBED_FAULT_AT ?? 0);
const countFile = process.env.BABELBED_FAULT_COUNT;
let count = 0;

for (const name of ["rename", "rm", "writeFile", "appendFile", "mkdir", "open", "truncate", "copyFile"]) {
  const original = fs[name];
  fs[name] = function (...args) {
    count += 1;
    if (count === at) process.kill(process.pid, "SIGKILL");
    return original.apply(this, args);
  };
}

if (countFile) process.on("exit", () => writeFileSync(countFile, String(count)));
