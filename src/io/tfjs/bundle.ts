import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { Plugin } from "esbuild";
import { BabelbedError } from "../../util/errors.js";

export interface BrowserRuntime {
  /** One self-contained ES module exporting `loadTfjsEncoder`. */
  code: string;
  /** The files esbuild read, relative to the working directory, so a test can see what went in. */
  inputs: string[];
}

/**
 * Bundle the browser runtime at export time. In a clone this reads the TypeScript sources
 * (so the page never runs a stale build, as bin/babelbed.js does for the CLI); in an installed
 * package, which ships only dist/src, it reads the compiled JavaScript beside this file.
 * platform "browser" makes esbuild fail on any Node built-in the entry reaches.
 */
export async function bundleBrowserRuntime(): Promise<BrowserRuntime> {
  const esbuild = await import("esbuild");
  const entry = browserEntryFile();
  const result = await esbuild
    .build({
      entryPoints: [entry],
      bundle: true,
      platform: "browser",
      format: "esm",
      target: "es2020",
      minify: true,
      write: false,
      metafile: true,
      logLevel: "silent",
      plugins: [tfjsOnCpu()],
    })
    .catch((error: unknown) => {
      const errors = (error as { errors?: { text: string; location?: { file: string } | null }[] }).errors ?? [];
      const details = errors.map((item) => `${item.location?.file ?? "?"}: ${item.text}`).join("; ");
      throw new BabelbedError(
        `bundling the browser runtime from ${entry} failed: ${details || (error as Error).message}`,
        1,
      );
    });
  const output = result.outputFiles[0];
  if (output === undefined) throw new BabelbedError(`bundling the browser runtime from ${entry} produced no output`, 1);
  return { code: output.text, inputs: Object.keys(result.metafile.inputs) };
}

function browserEntryFile(): string {
  for (const name of ["browser-entry.ts", "browser-entry.js"]) {
    const file = fileURLToPath(new URL(name, import.meta.url));
    if (existsSync(file)) return file;
  }
  throw new BabelbedError(
    `the browser runtime's entry (browser-entry.ts or .js) is missing beside ${fileURLToPath(import.meta.url)}`,
    1,
  );
}

/**
 * The model code imports the whole "@tensorflow/tfjs"; in the bundle that becomes tfjs-core with
 * the CPU backend only: a third of the size, and the kernels `--device js` runs, so the page's
 * numbers match Node's (WebGL would compute in lower precision). Both packages are resolved from
 * tfjs' own folder, where every package manager puts its dependencies.
 */
function tfjsOnCpu(): Plugin {
  const require = createRequire(import.meta.url);
  const tfjsDirectory = path.dirname(require.resolve("@tensorflow/tfjs/package.json"));
  return {
    name: "babelbed-tfjs-on-cpu",
    setup(build) {
      build.onResolve({ filter: /^@tensorflow\/tfjs$/ }, () => ({ path: "tfjs-on-cpu", namespace: "babelbed" }));
      build.onLoad({ filter: /.*/, namespace: "babelbed" }, () => ({
        // As @tensorflow/tfjs' own index does: tensor methods such as `x.reshape()` are registered by a side-effect import.
        contents: [
          'export * from "@tensorflow/tfjs-core";',
          'import "@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops";',
          'import "@tensorflow/tfjs-backend-cpu";',
        ].join("\n"),
        resolveDir: tfjsDirectory,
        loader: "js",
      }));
    },
  };
}
