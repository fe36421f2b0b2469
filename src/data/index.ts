/** `babelbed/data`: reading rows from CSV, TSV, JSONL and line-aligned files. */
export {
  openDataSource,
  DataReader,
  normalizeScore,
  type ScoredPair,
  type LabelledPair,
  type Triplet,
  type ParallelPair,
} from "./rows.js";
export { dataSourceSchema, type DataSource } from "./source.js";
export { heldOutIndices, shuffled, splitHeldOut } from "./shuffle.js";
export { guessHeaderLine, type HeaderGuess } from "./header-guess.js";
