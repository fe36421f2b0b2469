import type { EncodeOptions, SentenceEncoder } from "../model/sentence-encoder.js";
import { evaluateBitextMining } from "./mining.js";
import { evaluateMse } from "./mse.js";
import { evaluateTranslationRetrieval } from "./retrieval.js";
import { evaluateSts } from "./sts.js";

/**
 * The evaluators applied to an encoder: each embeds its sentences once and returns flat,
 * named metrics, as sentence-transformers' evaluators report them to a training loop.
 */
export type Metrics = Record<string, number>;

export interface ScoredPairRow {
  sentence1: string;
  sentence2: string;
  score: number;
}

export interface ParallelRow {
  source: string;
  target: string;
}

/** STS (Cer et al. 2017): Spearman and Pearson of cosine similarity against gold scores. */
export async function stsTask(
  encoder: SentenceEncoder,
  rows: ScoredPairRow[],
  options: EncodeOptions = {},
): Promise<Metrics> {
  const embeddings1 = await encoder.encode(
    rows.map((row) => row.sentence1),
    options,
  );
  const embeddings2 = await encoder.encode(
    rows.map((row) => row.sentence2),
    options,
  );
  const { spearman, pearson } = evaluateSts({ embeddings1, embeddings2, scores: rows.map((row) => row.score) });
  return { spearman, pearson };
}

/** Translation retrieval accuracy in both directions (Artetxe & Schwenk 2019, Tatoeba). */
export async function retrievalTask(
  encoder: SentenceEncoder,
  rows: ParallelRow[],
  options: EncodeOptions = {},
): Promise<Metrics> {
  const source = await encoder.encode(
    rows.map((row) => row.source),
    options,
  );
  const target = await encoder.encode(
    rows.map((row) => row.target),
    options,
  );
  const { sourceToTarget, targetToSource, average } = evaluateTranslationRetrieval({ source, target });
  return { source_to_target: sourceToTarget, target_to_source: targetToSource, accuracy: average };
}

/** BUCC-style bitext mining with the ratio margin over k nearest neighbours. */
export async function miningTask(
  encoder: SentenceEncoder,
  rows: ParallelRow[],
  k: number,
  options: EncodeOptions = {},
): Promise<Metrics> {
  const source = await encoder.encode(
    rows.map((row) => row.source),
    options,
  );
  const target = await encoder.encode(
    rows.map((row) => row.target),
    options,
  );
  const result = evaluateBitextMining({ source, target, gold: rows.map((_, index) => [index, index] as const), k });
  return { precision: result.precision, recall: result.recall, f1: result.f1, threshold: result.threshold };
}

/** Teacher-student MSE on held-out pairs (Reimers & Gurevych 2020): both sides against the teacher's source vectors. */
export async function mseTask(
  student: SentenceEncoder,
  teacherVectors: Float32Array[],
  rows: ParallelRow[],
  options: EncodeOptions = {},
): Promise<Metrics> {
  const source = await student.encode(
    rows.map((row) => row.source),
    options,
  );
  const target = await student.encode(
    rows.map((row) => row.target),
    options,
  );
  return {
    mse_source: evaluateMse({ teacher: teacherVectors, student: source }).mse,
    mse_target: evaluateMse({ teacher: teacherVectors, student: target }).mse,
  };
}
