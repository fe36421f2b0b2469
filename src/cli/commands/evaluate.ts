import { InvalidArgumentError, Option, type Command } from "commander";
import * as path from "node:path";
import { z } from "zod";
import { formats, type DataFormat } from "../../data/source.js";
import type { Metrics } from "../../evaluate/encoder-tasks.js";
import type { TaskReader } from "../../evaluate/tasks/descriptor.js";
import { taskDescriptor, tasks } from "../../evaluate/tasks/registry.js";
import { loadSentenceEncoder } from "../../io/encoder-checkpoint.js";
import type { EncodeOptions, SentenceEncoder } from "../../model/sentence-encoder.js";
import { readNormalizedRows } from "../../recipes/data.js";
import { taskSchema, type TaskSpec } from "../../recipes/schema-parts.js";
import { describeMetrics, formatDescribed, type MetricDescription } from "../../evaluate/metric-descriptions.js";
import { BabelbedError } from "../../util/errors.js";
import { writeJsonAtomic } from "../../util/files.js";
import { startDevice } from "../device.js";
import { withForwardEngine, type EngineChoice, type EngineName } from "../../io/onnx/engine.js";
import { refuseUnstatedHeader } from "../header-check.js";
import {
  deviceHelp,
  engineHelp,
  parseDevice,
  parseEngine,
  parsePositiveInteger,
  threadsHelp,
  type DeviceChoice,
} from "../options.js";

const taskNames = tasks.map((task) => task.name);

interface EvaluateFlags {
  model: string;
  task: string;
  data?: string;
  source?: string;
  target?: string;
  format?: DataFormat;
  header?: boolean;
  quote?: string;
  columns?: Record<string, number | string>;
  scoreRange?: [number, number];
  joinSpacedCjk?: boolean;
  limit?: number;
  skipBadRows?: boolean;
  teacher?: string;
  k?: number;
  output?: string;
  device: DeviceChoice;
  threads?: number;
  engine?: EngineName;
  batchSize: number;
}

const example = `
Examples:
  babelbed evaluate --model runs/quickstart/student --task retrieval \\
    --data datasets/en-de/test.tsv --header --columns source=en,target=de --output retrieval.json
  babelbed evaluate --model runs/quickstart/student --task sts --data datasets/en-sts/test.tsv --header
  babelbed evaluate --model student --task mse --teacher teacher --source test.en --target test.de
`;

export function registerEvaluate(program: Command): void {
  program
    .command("evaluate")
    .description(
      "Score a model on one held-out set (STS, translation retrieval, bitext mining or teacher MSE) and print the metrics.",
    )
    .requiredOption("--model <dir>", "a babelbed, sentence-transformers or Hugging Face model directory")
    .addOption(new Option("--task <task>", "what to measure").choices(taskNames).makeOptionMandatory())
    .option("--data <file>", "one csv, tsv or jsonl file of rows (format from the extension, or --format)")
    .option("--source <file>", "retrieval/mining/mse: source sentences, one a line, aligned with --target")
    .option("--target <file>", "retrieval/mining/mse: target sentences, one a line, aligned with --source")
    .addOption(new Option("--format <format>", "the data format, when the extension does not say").choices(formats))
    .option("--header", "csv/tsv: the first line names the columns and is skipped")
    .option(
      "--no-header",
      "csv/tsv: the first line is data (without either, a first line that looks like column names is refused)",
    )
    .option("--quote <char>", 'csv/tsv: the quote character, or "none"')
    .option(
      "--columns <field=column,...>",
      "which column feeds each field: a 0-based index or a header name",
      parseColumns,
    )
    .option("--score-range <low,high>", "sts: the gold scale (default 0,5)", parseScoreRange)
    .option("--join-spaced-cjk", "remove spaces between CJK characters (word-segmented text)")
    .option("--limit <n>", "read only the first n good rows", parsePositiveInteger)
    .option("--skip-bad-rows", "skip rows that do not parse, reporting each (a recipe's onBadRows: skip)")
    .option("--teacher <dir>", "mse: the teacher model directory")
    .option("--k <n>", "mining: neighbours in the margin score (default 4)", parsePositiveInteger)
    .option("--output <file>", "also write {model, task, data, metrics, device} as JSON")
    .option("--device <device>", deviceHelp, parseDevice, "auto")
    .option("--threads <n>", threadsHelp, parsePositiveInteger)
    .option("--engine <engine>", engineHelp, parseEngine)
    .option("--batch-size <n>", "sentences per forward pass", parsePositiveInteger, 32)
    .addHelpText("after", example)
    .action(async (flags: EvaluateFlags) => evaluate(flags));
}

async function evaluate(flags: EvaluateFlags): Promise<void> {
  const task = taskFromFlags(flags);
  await refuseUnstatedHeader(task.data, flags.header);
  const device = await startDevice(flags.device, false, flags.threads);
  const { metrics, rows } = await measure(
    flags.model,
    task,
    { batchSize: flags.batchSize },
    { engine: flags.engine, threads: flags.threads },
  );
  const descriptions = describeMetrics(metrics, new Map([["", { type: task.task, spec: task }]]), rows);
  process.stdout.write(`${describedMetricTable(metrics, descriptions)}\n`);
  if (flags.output !== undefined) {
    // The task's own settings (mining's k, mse's teacher) beside the data it read; each metric's description after its value.
    const { task: _task, name: _name, data, ...settings } = task;
    const described = Object.fromEntries(
      descriptions.map(({ metric, task: _of, type: _type, ...description }) => [metric, description]),
    );
    await writeJsonAtomic(flags.output, {
      model: flags.model,
      task: task.task,
      ...settings,
      data: { ...data, rows },
      metrics,
      descriptions: described,
      device,
    });
    process.stderr.write(`metrics → ${flags.output}\n`);
  }
}

/**
 * The recipe evaluators, on rows read as a recipe reads them; the teacher embeds the sources
 * for mse. Rows are read before any model loads, so that a data error comes at once.
 */
async function measure(
  model: string,
  task: TaskSpec,
  options: EncodeOptions,
  engine: EngineChoice = {},
): Promise<{ metrics: Metrics; rows: number }> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const descriptor = taskDescriptor(task.task);
  const reader: TaskReader<unknown> = {
    read: (source, where) => readNormalizedRows(source, descriptor.dataKind, where, process.cwd(), log),
    log,
    record: async () => undefined,
  };
  const rows = await descriptor.load(task, reader, "evaluate data");
  const teacherVectors = (teacher: string, sentences: string[]) =>
    withEncoder(teacher, (encoder) => encoder.encode(sentences, options), engine);
  const metrics = await withEncoder(
    model,
    (encoder) => descriptor.run(encoder, rows, task, { encodeOptions: options, teacherVectors }),
    engine,
  );
  return { metrics, rows: rows.length };
}

/**
 * The flags as a recipe's evaluation task, validated by the recipe schema itself, so that a
 * data problem reads the same here as in a recipe. Flag combinations zod cannot name are checked first.
 */
function taskFromFlags(flags: EvaluateFlags): TaskSpec {
  const parallel = taskDescriptor(flags.task).dataKind === "parallel";
  if (flags.data !== undefined && (flags.source !== undefined || flags.target !== undefined)) {
    throw new BabelbedError("give either --data or --source with --target, not both");
  }
  if (flags.data === undefined && (flags.source === undefined || flags.target === undefined)) {
    throw new BabelbedError(
      parallel
        ? "give --data FILE, or --source FILE with --target FILE"
        : "give --data FILE (sts reads scored pairs from csv, tsv or jsonl)",
    );
  }
  if (!parallel && flags.data === undefined)
    throw new BabelbedError("--source/--target hold parallel text: sts needs --data FILE");
  if (flags.scoreRange !== undefined && parallel) throw new BabelbedError("--score-range applies to --task sts only");
  if (flags.k !== undefined && flags.task !== "mining") throw new BabelbedError("--k applies to --task mining only");
  if (flags.teacher !== undefined && flags.task !== "mse")
    throw new BabelbedError("--teacher applies to --task mse only");
  if (flags.teacher === undefined && flags.task === "mse") throw new BabelbedError("--task mse needs --teacher DIR");

  const data = {
    kind: parallel ? "parallel" : "scored-pairs",
    ...(flags.data !== undefined
      ? { file: flags.data, format: flags.format ?? formatOf(flags.data) }
      : { files: { source: flags.source, target: flags.target }, format: flags.format ?? "lines" }),
    header: flags.header,
    quote: flags.quote,
    columns: flags.columns,
    limit: flags.limit,
    onBadRows: flags.skipBadRows ? "skip" : undefined,
    joinSpacedCjk: flags.joinSpacedCjk,
    ...(parallel ? {} : { scoreRange: flags.scoreRange ?? [0, 5] }),
  };
  const spec = withoutUnset({
    task: flags.task,
    name: flags.task,
    data: withoutUnset(data),
    k: flags.k,
    teacher: flags.teacher,
  });
  const result = taskSchema.safeParse(spec);
  if (!result.success) throw new BabelbedError(`the data flags are invalid:\n${z.prettifyError(result.error)}`);
  return result.data;
}

/** Flags not given are left out: the schema is strict, and counts a key set to undefined as present. */
function withoutUnset(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined));
}

function formatOf(file: string): DataFormat {
  const extension = path.extname(file).toLowerCase();
  if (extension === ".csv") return "csv";
  if (extension === ".tsv" || extension === ".tab") return "tsv";
  if (extension === ".jsonl" || extension === ".ndjson") return "jsonl";
  throw new BabelbedError(
    `--data ${file}: cannot tell the format from "${extension}": give --format csv, tsv or jsonl`,
  );
}

async function withEncoder<T>(
  directory: string,
  use: (encoder: SentenceEncoder) => Promise<T>,
  engine: EngineChoice = {},
): Promise<T> {
  const encoder = await loadSentenceEncoder(directory);
  try {
    return await withForwardEngine(encoder, engine, () => use(encoder));
  } finally {
    encoder.dispose();
  }
}

/** Each metric by its name for people, in its unit, with the rows it was computed on and what chance scores. */
function describedMetricTable(metrics: Metrics, descriptions: MetricDescription[]): string {
  const rows = [
    ["metric", "value", "n", "chance"],
    ...descriptions.map((entry) => [
      entry.name,
      formatDescribed(entry, metrics[entry.metric]!),
      entry.n === undefined ? "" : String(entry.n),
      entry.chance === undefined ? "" : formatDescribed(entry, entry.chance),
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[column]!)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** `source=en,target=de`: a field per pair; a column that is all digits is an index. */
function parseColumns(value: string): Record<string, number | string> {
  const columns: Record<string, number | string> = {};
  for (const pair of value.split(",")) {
    const match = /^\s*([^=\s]+)\s*=\s*(.+?)\s*$/.exec(pair);
    if (match === null) throw new InvalidArgumentError(`expected field=column[,field=column...], got "${pair}"`);
    columns[match[1]!] = /^\d+$/.test(match[2]!) ? Number(match[2]) : match[2]!;
  }
  return columns;
}

function parseScoreRange(value: string): [number, number] {
  const parts = value.split(",").map((part) => part.trim());
  if (parts.length !== 2 || parts.some((part) => part === "" || !Number.isFinite(Number(part)))) {
    throw new InvalidArgumentError(`expected LOW,HIGH, e.g. 0,5, got "${value}"`);
  }
  return [Number(parts[0]), Number(parts[1])];
}
