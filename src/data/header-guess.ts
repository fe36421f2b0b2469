import { readDelimited } from "./delimited.js";
import type { ResolvedSource } from "./source.js";

/** Names people give columns of sentence data; compared lower-cased, digits and separators dropped. */
const columnNames = new Set([
  "source",
  "target",
  "src",
  "tgt",
  "sentence",
  "sent",
  "text",
  "translation",
  "score",
  "similarity",
  "label",
  "gold",
  "premise",
  "hypothesis",
  "anchor",
  "positive",
  "negative",
  "query",
  "document",
  "english",
  "german",
  "french",
  "japanese",
  "spanish",
  "chinese",
  "language",
  "lang",
  "id",
  "pair",
  "pairid",
]);

export interface HeaderGuess {
  line: number;
  /** Why the line looks like column names, e.g. `its score column holds "score", not a number`. */
  reason: string;
}

/**
 * Does a csv/tsv file read without a header begin with a header line? Either its score
 * column holds no number while the next row's does, or every field of the first row is a
 * typical column name or a language code ("en", "deu", "zh_Hans"). Read without a header,
 * such a line is scored as a pair (retrieval) or dropped as a bad row: the caller asks.
 */
export async function guessHeaderLine(source: ResolvedSource): Promise<HeaderGuess | undefined> {
  if (source.header || (source.format !== "csv" && source.format !== "tsv") || source.files.length !== 1)
    return undefined;
  const rows: { line: number; values: Map<string, unknown> }[] = [];
  try {
    for await (const event of readDelimited(source, source.files[0]!)) {
      if (event.type === "record") rows.push(event);
      if (event.type === "bad" && rows.length === 0) return undefined;
      if (rows.length === 2) break;
    }
  } catch {
    // The reader reports the file's own problem when it is read for real.
    return undefined;
  }
  const [first, second] = rows;
  if (first === undefined) return undefined;
  const text = (values: Map<string, unknown>, field: string) => String(values.get(field) ?? "").trim();
  if (first.values.has("score")) {
    const score = text(first.values, "score");
    const number = (value: string) => value !== "" && Number.isFinite(Number(value));
    if (!number(score) && (second === undefined || number(text(second.values, "score")))) {
      return { line: first.line, reason: `its score column holds "${score}", not a number` };
    }
  }
  const fields = [...first.values.keys()].map((field) => text(first.values, field));
  if (fields.length > 0 && fields.every(looksLikeColumnName)) {
    return { line: first.line, reason: `it holds column names (${fields.join(", ")})` };
  }
  return undefined;
}

function looksLikeColumnName(value: string): boolean {
  // Language codes as corpora name columns: en, deu, zh_Hans, pt-BR.
  if (/^[a-z]{2,3}([_-][A-Za-z]{2,4})?$/.test(value)) return true;
  return columnNames.has(value.toLowerCase().replace(/[\s_\-.\d]/g, ""));
}
