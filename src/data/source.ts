import * as path from "node:path";
import { z } from "zod";
import { BabelbedError } from "../util/errors.js";

/**
 * What a data file holds, as a recipe names it. Each kind has fixed field names, so
 * that objectives and evaluators never guess which column is which.
 */
export const fieldsOfKind = {
  "scored-pairs": ["sentence1", "sentence2", "score"],
  "labelled-pairs": ["premise", "hypothesis", "label"],
  triplets: ["anchor", "positive", "negative"],
  parallel: ["source", "target"],
  sentences: ["text"],
} as const;

export type RowKind = keyof typeof fieldsOfKind;
export type FieldOf<K extends RowKind> = (typeof fieldsOfKind)[K][number];

export const nliLabels = ["entailment", "neutral", "contradiction"] as const;
export type NliLabel = (typeof nliLabels)[number];

export const formats = ["csv", "tsv", "jsonl", "lines"] as const;
export type DataFormat = (typeof formats)[number];

/** A column: a 0-based index, or a header name (csv/tsv with a header) or key (jsonl). */
export type Column = number | string;

const column = z.union([z.number().int().nonnegative(), z.string().min(1)]);

function columnsOf<K extends RowKind>(kind: K) {
  const shape = Object.fromEntries(fieldsOfKind[kind].map((field) => [field, column.optional()]));
  return z
    .object(shape as Record<FieldOf<K>, z.ZodOptional<typeof column>>)
    .strict()
    .optional()
    .describe(
      "which column feeds each field: a 0-based index, a header name, or a JSON key; " +
        "by default the fields in order (no header) or by their own names",
    );
}

const common = {
  file: z.string().min(1).optional().describe("the data file, relative to the recipe"),
  format: z
    .enum(formats)
    .describe("csv (RFC 4180), tsv, jsonl (one JSON object per line) or lines (one text per line)"),
  header: z.boolean().optional().describe("csv/tsv: the first line names the columns (default false)"),
  quote: z
    .union([z.literal("none"), z.string().length(1)])
    .optional()
    .describe('csv/tsv: the quote character, or "none" (default `"` for csv, none for tsv)'),
  onBadRows: z
    .enum(["fail", "skip"])
    .default("fail")
    .describe("fail on the first bad row (default), or skip bad rows and report each one"),
  blankLines: z
    .enum(["fail", "skip"])
    .default("fail")
    .describe("an empty line is an error (default), or skipped and counted"),
  limit: z.number().int().positive().optional().describe("stop after this many good rows"),
  joinSpacedCjk: z
    .boolean()
    .optional()
    .describe(
      "remove a space between two CJK characters or kana (text word-segmented by KyTea or MeCab, e.g. small_parallel_enja)",
    ),
};

const scoredPairs = z
  .object({
    kind: z.literal("scored-pairs"),
    ...common,
    columns: columnsOf("scored-pairs"),
    scoreRange: z
      .tuple([z.number(), z.number()])
      .describe("the gold scale, e.g. [0, 5] for STSb; scores outside it are bad rows"),
  })
  .strict();

const labelledPairs = z
  .object({
    kind: z.literal("labelled-pairs"),
    ...common,
    columns: columnsOf("labelled-pairs"),
    labels: z
      .record(z.string().min(1), z.enum(nliLabels))
      .optional()
      .describe("raw label → NLI label, e.g. {0: entailment, 1: neutral, 2: contradiction}; default: the three names"),
  })
  .strict();

const triplets = z.object({ kind: z.literal("triplets"), ...common, columns: columnsOf("triplets") }).strict();

const parallel = z
  .object({
    kind: z.literal("parallel"),
    ...common,
    files: z
      .object({ source: z.string().min(1), target: z.string().min(1) })
      .strict()
      .optional()
      .describe(
        "two row-aligned files: text lines (tatoeba.jpn-eng.jpn + tatoeba.jpn-eng.eng), or csv/tsv/jsonl files whose " +
          "row i is the translation of row i (stsb-en-train.csv + stsb-de-train.csv); columns then name the column in each file",
      ),
    columns: columnsOf("parallel"),
  })
  .strict();

const sentences = z.object({ kind: z.literal("sentences"), ...common, columns: columnsOf("sentences") }).strict();

/** The zod schema of a data source; recipes embed it. */
export const dataSourceSchema = z
  .discriminatedUnion("kind", [scoredPairs, labelledPairs, triplets, parallel, sentences])
  .superRefine((source, context) => {
    const problem = (where: string, message: string) => context.addIssue({ code: "custom", path: [where], message });
    const twoFiles = source.kind === "parallel" && source.files !== undefined;
    if (twoFiles && source.file !== undefined) problem("files", "give either file or files, not both");
    if (!twoFiles && source.file === undefined) {
      problem(
        "file",
        source.kind === "parallel" ? "give file (one csv/tsv/jsonl file) or files: {source, target}" : "required",
      );
    }
    if (!twoFiles && source.format === "lines" && source.kind !== "sentences") {
      problem(
        "format",
        source.kind === "parallel"
          ? "one file of lines cannot hold pairs: give files: {source, target}, or use csv/tsv/jsonl"
          : `format lines holds one text per line; kind ${source.kind} needs csv, tsv or jsonl`,
      );
    }
    const delimited = source.format === "csv" || source.format === "tsv";
    if (!delimited && source.header !== undefined)
      problem("header", `only csv and tsv have a header line, not ${source.format}`);
    if (!delimited && source.quote !== undefined)
      problem("quote", `only csv and tsv have quoting, not ${source.format}`);
    if (source.quote === "\t" || source.quote === "," || source.quote === "\n" || source.quote === "\r") {
      problem("quote", "a separator or line break cannot be the quote character");
    }
    for (const [field, value] of Object.entries(source.columns ?? {})) {
      if (value === undefined) continue;
      if (source.format === "lines") problem("columns", "format lines has no columns");
      else if (source.format === "jsonl" && typeof value === "number") {
        context.addIssue({
          code: "custom",
          path: ["columns", field],
          message: "jsonl fields are named by key, not index",
        });
      } else if (delimited && !source.header && typeof value === "string") {
        context.addIssue({
          code: "custom",
          path: ["columns", field],
          message: `"${value}" is a name but the file has no header (set header: true, or use a 0-based index)`,
        });
      }
    }
    if (source.kind === "labelled-pairs") {
      // Labels are matched ignoring case and surrounding spaces, so these keys must stay distinct.
      const seen = new Map<string, string>();
      for (const raw of Object.keys(source.labels ?? {})) {
        const key = raw.trim().toLowerCase();
        const earlier = seen.get(key);
        if (earlier !== undefined)
          problem("labels", `"${earlier}" and "${raw}" are the same label (case and spaces are ignored)`);
        seen.set(key, raw);
      }
    }
    if (source.kind === "scored-pairs") {
      const [low, high] = source.scoreRange;
      if (!(Number.isFinite(low) && Number.isFinite(high) && low < high)) {
        problem("scoreRange", `expected [low, high] with low < high, got [${low}, ${high}]`);
      }
    }
  });

export type DataSourceInput = z.input<typeof dataSourceSchema>;
export type DataSource = z.output<typeof dataSourceSchema>;
export type DataSourceOf<K extends RowKind> = Extract<DataSource, { kind: K }>;

/** Validate a data source, with every problem named by its place in the spec. */
export function parseDataSource(value: unknown, where = "data source"): DataSource {
  const result = dataSourceSchema.safeParse(value);
  if (!result.success) throw new BabelbedError(`${where} is invalid:\n${z.prettifyError(result.error)}`);
  return result.data;
}

/** A source's settings with every default filled in and paths made absolute. */
export interface ResolvedSource {
  kind: RowKind;
  format: DataFormat;
  files: string[];
  header: boolean;
  /** The quote character, or null for none. */
  quote: string | null;
  /** Each field's column, in the order of `fieldsOfKind[kind]`. */
  columns: Map<string, Column>;
  onBadRows: "fail" | "skip";
  blankLines: "fail" | "skip";
  limit: number;
  joinSpacedCjk: boolean;
  /** Scored pairs: the inclusive gold scale. */
  scoreRange?: readonly [number, number];
  /** Labelled pairs: raw label (trimmed, lower-cased) → NLI label; absent means the three names. */
  labels?: ReadonlyMap<string, NliLabel>;
}

export function resolveSource(source: DataSource, baseDirectory = process.cwd()): ResolvedSource {
  const files =
    source.kind === "parallel" && source.files !== undefined
      ? [source.files.source, source.files.target]
      : [source.file as string];
  const header = source.header ?? false;
  const given = (source.columns ?? {}) as Record<string, Column | undefined>;
  const columns = new Map<string, Column>();
  // Two aligned files each hold one side, so by default each side is its file's first column.
  const oneSidePerFile = files.length === 2;
  fieldsOfKind[source.kind].forEach((field, index) => {
    const named = source.format === "jsonl" || header;
    columns.set(field, given[field] ?? (named ? field : oneSidePerFile ? 0 : index));
  });
  const quote = source.quote ?? (source.format === "csv" ? '"' : "none");
  return {
    kind: source.kind,
    format: source.format,
    files: files.map((file) => path.resolve(baseDirectory, file)),
    header,
    quote: quote === "none" ? null : quote,
    columns,
    onBadRows: source.onBadRows,
    blankLines: source.blankLines,
    limit: source.limit ?? Number.POSITIVE_INFINITY,
    joinSpacedCjk: source.joinSpacedCjk ?? false,
    ...(source.kind === "scored-pairs" ? { scoreRange: source.scoreRange } : {}),
    ...(source.kind === "labelled-pairs" && source.labels !== undefined
      ? { labels: new Map(Object.entries(source.labels).map(([raw, label]) => [raw.trim().toLowerCase(), label])) }
      : {}),
  };
}
