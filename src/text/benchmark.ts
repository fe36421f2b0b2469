import { trainWordPiece } from "./vocabulary-trainer.js";

export interface VocabTrainingBenchmarkOptions {
  /** Number of synthetic sentences (default 200,000). */
  sentences?: number;
  /** Target vocabulary size (default 30,000). */
  vocabSize?: number;
  /** Distinct words the synthetic corpus draws from (default 300,000). */
  lexiconSize?: number;
  /** Real sentences to train on instead of the synthetic corpus. */
  corpus?: Iterable<string>;
}

export interface VocabTrainingBenchmark {
  sentences: number;
  vocabSize: number;
  seconds: number;
}

/** Times `trainWordPiece`, by default on a reproducible synthetic multilingual corpus. */
export async function benchmarkVocabTraining(
  options: VocabTrainingBenchmarkOptions = {},
): Promise<VocabTrainingBenchmark> {
  const sentenceCount = options.sentences ?? 200_000;
  let counted = 0;
  function* counting(source: Iterable<string>): Generator<string> {
    for (const sentence of source) {
      counted += 1;
      yield sentence;
    }
  }
  const source = options.corpus ?? syntheticSentences(sentenceCount, { lexiconSize: options.lexiconSize });
  const started = performance.now();
  const vocab = await trainWordPiece(counting(source), { vocabSize: options.vocabSize ?? 30_000 });
  return { sentences: counted, vocabSize: vocab.length, seconds: (performance.now() - started) / 1000 };
}

// Syllable inventories of a few scripts, so that the corpus has a realistic, large alphabet.
const scripts: readonly string[][] = [
  syllables("bcdfghklmnprstvwz", "aeiou"),
  syllables("бвгдзклмнпрстфх", "аеиоуыя"),
  syllables("βγδζθκλμνπρστφχ", "αεηιουω"),
  Array.from({ length: 60 }, (_, index) => String.fromCharCode(0xac00 + index * 97)),
  [..."的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年"],
];

function syllables(consonants: string, vowels: string): string[] {
  const result: string[] = [];
  for (const consonant of consonants) for (const vowel of vowels) result.push(consonant + vowel);
  return result;
}

/**
 * Deterministic sentences whose words follow a Zipf-like law over a lexicon (300,000 words by
 * default), as natural text does: a few words are very frequent, most are rare.
 */
export function* syntheticSentences(
  count: number,
  options: { seed?: number; lexiconSize?: number } = {},
): Generator<string> {
  let state = (options.seed ?? 1) >>> 0 || 1;
  const random = (): number => {
    // xorshift32: fast, reproducible across platforms.
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
  const lexiconSize = options.lexiconSize ?? 300_000;
  const lexicon = new Map<number, string>();
  const wordAt = (rank: number): string => {
    let word = lexicon.get(rank);
    if (word === undefined) {
      const script = scripts[rank % scripts.length] as string[];
      const length = 1 + (rank % 4) + Math.floor(Math.log10(rank + 1));
      const parts: string[] = [];
      let value = rank * 2654435761;
      for (let index = 0; index < length; index += 1) {
        parts.push(script[value % script.length] as string);
        value = Math.floor(value / script.length) + index * 40503;
      }
      word = parts.join("");
      lexicon.set(rank, word);
    }
    return word;
  };
  for (let sentence = 0; sentence < count; sentence += 1) {
    const length = 4 + Math.floor(random() * 14);
    const words: string[] = [];
    for (let index = 0; index < length; index += 1) {
      // Inverse-transform sampling of a Zipf(1) law over the lexicon ranks.
      words.push(wordAt(Math.floor(Math.exp(random() * Math.log(lexiconSize))) - 1));
    }
    yield words.join(" ") + (random() < 0.7 ? "." : "?");
  }
}
