import { existsSync } from "node:fs";
import * as path from "node:path";
import type { ParallelSpec } from "../../recipes/compose.js";
import type { Language } from "../../text/languages.js";
import { badRowHint } from "../../data/rows.js";
import { BabelbedError } from "../../util/errors.js";
import type { Asker } from "./ask.js";
import {
  describeInspection,
  firstCells,
  formatOf,
  guessColumns,
  inspectParallel,
  looksLikeHeader,
  parseParallelColumns,
  requireFile,
} from "./data.js";

/** The flags that answer one language's data questions. */
export interface ParallelFlags {
  parallel?: string;
  parallelTarget?: string;
  columns?: string;
  header?: boolean;
  joinSpacedCjk?: boolean;
  /** Skip rows that do not parse (onBadRows: skip) instead of stopping. */
  skipBadRows?: boolean;
}

export interface EvaluationFlags {
  eval?: string;
  evalTarget?: string;
  heldOut?: string;
}

export type EvaluationAnswer = { test: ParallelSpec; pairs: number } | { heldOut: number };

const say = (text: string) => process.stdout.write(`${text}\n`);

/** The data reader's complaint about a row that does not parse, which `onBadRows: skip` would get past. */

/** Ask for a language's parallel data until it reads cleanly, showing its first pairs and count. */
export async function askParallel(
  asker: Asker,
  language: Language,
  flags: ParallelFlags,
): Promise<{ spec: ParallelSpec; pairs: number }> {
  for (;;) {
    const file = await asker.text({
      title: `Parallel data for ${language.name} (${language.code})`,
      hint: "tsv/csv of pairs, or the English side of two aligned text files",
      flag: "--parallel FILE",
      given: flags.parallel,
      parse: requireFile,
    });
    let spec: ParallelSpec | undefined;
    try {
      spec = await describeFile(asker, language, file, flags, "--parallel-target FILE");
      if (flags.skipBadRows) spec.onBadRows = "skip";
      return await inspected(asker, language, spec, flags);
    } catch (error) {
      const badRow = error instanceof BabelbedError && error.message.endsWith(badRowHint);
      // A file named by a flag is not asked for again: the caller may have no terminal.
      if (!(error instanceof BabelbedError) || flags.parallel !== undefined || !asker.interactive) {
        if (badRow)
          throw new BabelbedError(
            `wizard: --parallel: ${withoutHint(error.message)} (pass --skip-bad-rows to skip such rows)`,
          );
        if (error instanceof BabelbedError && !error.message.startsWith("wizard:"))
          throw new BabelbedError(`wizard: --parallel: ${error.message}`);
        throw error;
      }
      say(`✗ ${withoutHint(error.message)}`);
      if (badRow && spec !== undefined) {
        const next = await asker.choose({
          title: "This file has a bad row",
          flag: "--skip-bad-rows",
          default: "another",
          choices: [
            { value: "another", name: "give another file (or fix this one and give it again)" },
            { value: "skip", name: "skip bad rows (onBadRows: skip): each one is reported when the recipe runs" },
          ],
        });
        if (next === "skip") {
          const skipping = await inspected(asker, language, { ...spec, onBadRows: "skip" }, flags).catch(
            (failure: unknown) => {
              if (!(failure instanceof BabelbedError)) throw failure;
              say(`✗ ${failure.message}\n  Give another file.`);
              return undefined;
            },
          );
          if (skipping !== undefined) return skipping;
        }
      } else say("  Give another file, or fix this one and give it again.");
    }
  }
}

/** The pairs of a described file, counted and previewed, with spaced CJK joined if the user wants. */
async function inspected(
  asker: Asker,
  language: Language,
  spec: ParallelSpec,
  flags: ParallelFlags,
): Promise<{ spec: ParallelSpec; pairs: number }> {
  const first = await inspectParallel(spec);
  if (language.cjk && first.spacedCjk) {
    spec.joinSpacedCjk = await asker.confirm({
      title: `The ${language.name} side has spaces between words (KyTea/MeCab style): join them (joinSpacedCjk)?`,
      flag: "--join-spaced-cjk or --no-join-spaced-cjk",
      given: flags.joinSpacedCjk,
      default: true,
    });
  } else if (flags.joinSpacedCjk) spec.joinSpacedCjk = true;
  const inspection = spec.joinSpacedCjk ? await inspectParallel(spec) : first;
  say(describeInspection(inspection, language));
  return { spec, pairs: inspection.pairs };
}

/** Held-out pairs of the parallel data, or a separate file. */
export async function askEvaluation(
  asker: Asker,
  language: Language,
  pairs: number,
  flags: EvaluationFlags,
): Promise<EvaluationAnswer> {
  const mode =
    flags.eval !== undefined
      ? "file"
      : await asker.choose({
          title: `Evaluation data for ${language.name}`,
          flag: "--eval FILE or --held-out N",
          given: flags.heldOut !== undefined ? "split" : undefined,
          default: "split",
          choices: [
            {
              value: "split",
              name: "hold out some pairs of the parallel data",
              description: "written next to the recipe as -train and -test files",
            },
            {
              value: "file",
              name: "a separate held-out file",
              description: "tsv/csv of pairs, or two line-aligned files",
            },
          ],
        });
  if (mode === "split") {
    const heldOut = await asker.text({
      title: "Pairs to hold out for testing",
      hint: `of ${pairs}`,
      flag: "--held-out N",
      given: flags.heldOut,
      default: String(Math.max(1, Math.min(1000, Math.round(pairs * 0.1)))),
      parse: (text) => {
        const count = Number(text);
        if (!Number.isInteger(count) || count < 1 || count > pairs - 2)
          throw new BabelbedError(`expected a whole number from 1 to ${pairs - 2}, got "${text}"`);
        return count;
      },
    });
    return { heldOut };
  }
  const file = await asker.text({
    title: `Held-out ${language.name} evaluation file`,
    flag: "--eval FILE",
    given: flags.eval,
    parse: requireFile,
  });
  const test = await describeFile(
    asker,
    language,
    file,
    { parallelTarget: flags.evalTarget },
    "--eval-target FILE",
    true,
  );
  const inspection = await inspectParallel(test);
  say(describeInspection(inspection, language));
  return { test, pairs: inspection.pairs };
}

/**
 * The data source a file is, asking what its extension cannot say: the second file of an
 * aligned pair, whether a csv/tsv has a header, and which column holds which side.
 * `guessOnly` takes the guesses for header and columns without asking (evaluation files).
 */
async function describeFile(
  asker: Asker,
  language: Language,
  file: string,
  flags: ParallelFlags,
  targetFlag: string,
  guessOnly = false,
): Promise<ParallelSpec> {
  const format = formatOf(file);
  if (format === "lines") {
    const sibling = siblingFile(file, language.code);
    const target = await asker.text({
      title: `The ${language.name} side, line-aligned with ${path.basename(file)}`,
      flag: targetFlag,
      given: flags.parallelTarget,
      default: sibling,
      parse: requireFile,
    });
    return { kind: "parallel", files: { source: file, target }, format: "lines" };
  }
  if (format === "jsonl") {
    const columns = guessOnly || flags.columns === undefined ? "source=source,target=target" : flags.columns;
    return { kind: "parallel", file, format, columns: parseParallelColumns(columns) };
  }
  const cells = await firstCells(file, format);
  const header = guessOnly
    ? looksLikeHeader(cells, language)
    : await asker.confirm({
        title: "Does the first line name the columns?",
        hint: `it reads: ${cells.slice(0, 4).join(" | ").slice(0, 60)}`,
        flag: "--header or --no-header",
        given: flags.header,
        default: looksLikeHeader(cells, language),
      });
  const guessed = guessColumns(cells, header, language);
  const columns = guessOnly
    ? parseParallelColumns(guessed)
    : await asker.text({
        title: "Which columns hold English and the translation?",
        hint: "source=COLUMN,target=COLUMN: index or header name",
        flag: "--columns source=X,target=Y",
        given: flags.columns,
        default: guessed,
        parse: (text) => {
          const parsed = parseParallelColumns(text);
          for (const column of [parsed.source, parsed.target]) {
            if (typeof column === "string" && !header)
              throw new BabelbedError(`"${column}" is a name but the file has no header: use a 0-based index`);
            if (typeof column === "string" && !cells.includes(column))
              throw new BabelbedError(`no column "${column}" in the header (${cells.join(", ")})`);
          }
          return parsed;
        },
      });
  return { kind: "parallel", file, format, header, columns };
}

/** train.en → train.ja, the Moses-style name of the other side, when that file exists. */
function siblingFile(file: string, code: string): string | undefined {
  const extension = path.extname(file);
  if (extension.length === 0) return undefined;
  const candidate = `${file.slice(0, -extension.length)}.${code}`;
  return existsSync(candidate) ? path.relative(process.cwd(), candidate) : undefined;
}

/** A bad-row message without the recipe hint, which the wizard replaces by its own choice. */
function withoutHint(message: string): string {
  return message.endsWith(badRowHint) ? message.slice(0, -badRowHint.length) : message;
}
