/**
 * `npm run bench -- --compare-torch`: the benchmark's configuration in PyTorch (bench/torch_bench.py),
 * run by the first Python that imports torch: $BABELBED_PYTHON, python3, then Debian's /usr/bin/python3
 * (`apt-get install python3-torch libopenblas0-pthread`; without OpenBLAS Debian's torch falls back
 * to the reference BLAS and runs several times slower than PyTorch's own wheels).
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

export interface TorchFigures {
  python: string;
  engine: string;
  threads: number;
  encode: { sentencesPerSecond: number };
  train: { stepsPerSecond: number };
}

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), "torch_bench.py");

function pythonWithTorch(): string | undefined {
  const candidates = [process.env.BABELBED_PYTHON, "python3", "/usr/bin/python3"].filter(
    (name): name is string => !!name,
  );
  return candidates.find((python) => spawnSync(python, ["-c", "import torch"], { stdio: "ignore" }).status === 0);
}

/** PyTorch's encode and train rates on `shape` with `threads` threads; throws, saying why, when there is no torch. */
export function torchFigures(shape: object, threads: number, quick: boolean): TorchFigures {
  const python = pythonWithTorch();
  if (python === undefined) {
    throw new Error(
      "--compare-torch needs a Python with torch (set BABELBED_PYTHON, or: apt-get install python3-torch libopenblas0-pthread)",
    );
  }
  const result = spawnSync(python, [script, JSON.stringify(shape), String(threads), quick ? "quick" : "full"], {
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`${python} ${script} failed:\n${result.stderr}`);
  return { python, ...(JSON.parse(result.stdout) as Omit<TorchFigures, "python">) };
}
