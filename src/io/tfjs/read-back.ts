import { promises as fs } from "node:fs";
import { probeSentences } from "../probe-sentences.js";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { SentenceEncoder } from "../../model/sentence-encoder.js";
import { BabelbedError } from "../../util/errors.js";
import { loadTfjsEncoder, type TfjsEncoder } from "./browser-entry.js";

/**
 * Load a tfjs export from disk with the browser runtime's own loader, files read where a
 * page would fetch them, so Node checks the very code path the page runs.
 */
export async function loadTfjsDirectory(dir: string): Promise<TfjsEncoder> {
  const base = pathToFileURL(path.resolve(dir) + path.sep);
  return loadTfjsEncoder(base, {
    fetch: async (url) => new Response(new Uint8Array(await fs.readFile(fileURLToPath(url)))),
  });
}

/**
 * Read an export back and compare its vectors with the encoder it came from: the weights,
 * the tokenizer settings and the pooling all travel, or this fails naming the difference.
 * Returns the largest absolute difference seen.
 */
export async function verifyTfjsExport(encoder: SentenceEncoder, dir: string, tolerance = 1e-5): Promise<number> {
  const loaded = await loadTfjsDirectory(dir);
  try {
    const [expected, actual] = [await encoder.encode(probeSentences), await loaded.encode(probeSentences)];
    let largest = 0;
    expected.forEach((vector, row) => {
      vector.forEach((value, column) => {
        largest = Math.max(largest, Math.abs(value - actual[row]![column]!));
      });
    });
    if (!(largest <= tolerance)) {
      throw new BabelbedError(
        `${dir}: the exported model's vectors differ from the original's by ${largest} (more than ${tolerance}); the export is wrong`,
        1,
      );
    }
    return largest;
  } finally {
    loaded.dispose();
  }
}
