import { guessHeaderLine } from "../data/header-guess.js";
import { resolveSource, type DataSource, type ResolvedSource } from "../data/source.js";
import { BabelbedError } from "../util/errors.js";

/**
 * `babelbed evaluate` on a csv/tsv file whose first line looks like column names, with
 * neither --header nor --no-header: refused, naming both. Read as data, that line would be
 * scored as a pair (retrieval, mining) or fail as a bad row (STS); which it is, only the
 * user knows, and a figure over a header row is quietly wrong.
 */
export async function refuseUnstatedHeader(
  data: DataSource,
  header: boolean | undefined,
  baseDirectory = process.cwd(),
): Promise<void> {
  if (header !== undefined) return;
  let source: ResolvedSource;
  try {
    source = resolveSource({ ...data, header: false }, baseDirectory);
  } catch {
    return; // named columns without a header: the reader says so
  }
  const guess = await guessHeaderLine(source);
  if (guess === undefined) return;
  throw new BabelbedError(
    `${source.files[0]}:${guess.line}: this line looks like a header: ${guess.reason}. Give --header to skip it (its names can then be used in --columns), or --no-header to score it as data`,
  );
}
