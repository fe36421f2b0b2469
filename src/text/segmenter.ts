import { createRequire } from "node:module";
import * as path from "node:path";
import type * as Kuromoji from "kuromoji";
import { BabelbedError } from "../util/errors.js";
import type { Segmenter } from "./types.js";

type KuromojiTokenizer = Kuromoji.Tokenizer<Kuromoji.IpadicFeatures>;

// The dictionary takes a second and ~100 MB to load, so every segmenter shares one.
let japaneseTokenizer: Promise<KuromojiTokenizer> | undefined;

function japaneseDictionaryPath(): string {
  // Resolved through the package itself so that it works from any working directory.
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve("kuromoji/package.json")), "dict");
}

async function buildJapaneseTokenizer(): Promise<KuromojiTokenizer> {
  // Imported on first use: only Japanese pipelines should pay for loading kuromoji.
  const kuromoji = (await import("kuromoji")).default;
  const dicPath = japaneseDictionaryPath();
  return new Promise<KuromojiTokenizer>((resolve, reject) => {
    kuromoji.builder({ dicPath }).build((error, tokenizer) => {
      if (error) reject(new BabelbedError(`cannot load the kuromoji dictionary from ${dicPath}: ${String(error)}`));
      else resolve(tokenizer);
    });
  });
}

function loadJapaneseTokenizer(): Promise<KuromojiTokenizer> {
  japaneseTokenizer ??= buildJapaneseTokenizer().catch((error: unknown) => {
    // A failed load must not be remembered, or every later call would fail too.
    japaneseTokenizer = undefined;
    throw error;
  });
  return japaneseTokenizer;
}

const whitespaceOnly = /^\s*$/;

/** Japanese word segmentation with kuromoji (IPAdic): "東京に行く" becomes "東京 に 行く". */
export async function createJapaneseSegmenter(): Promise<Segmenter> {
  const tokenizer = await loadJapaneseTokenizer();
  return {
    language: "ja",
    segment(text: string): string {
      const words: string[] = [];
      for (const token of tokenizer.tokenize(text)) {
        // Existing spaces separate words already; keeping them would only double the separators.
        if (!whitespaceOnly.test(token.surface_form)) words.push(token.surface_form);
      }
      return words.join(" ");
    },
  };
}

const japaneseCodes = new Set(["ja", "jpn", "japanese"]);

/** The segmenter a language needs before WordPiece, or undefined when spaces already separate words. */
export async function segmenterFor(language: string): Promise<Segmenter | undefined> {
  const code = language.trim().toLowerCase().split(/[-_]/)[0] ?? "";
  if (japaneseCodes.has(code)) return createJapaneseSegmenter();
  return undefined;
}
