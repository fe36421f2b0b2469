import { isRecord, specialTokenNames } from "./config.js";
import type { WordPieceSettings } from "./wordpiece-core.js";

/** The parts of a Hugging Face tokenizer.json that babelbed reads; the rest passes through. */
export interface TokenizerJson {
  version?: string;
  added_tokens?: AddedTokenJson[];
  normalizer?: Record<string, unknown> | null;
  pre_tokenizer?: Record<string, unknown> | null;
  post_processor?: Record<string, unknown> | null;
  decoder?: Record<string, unknown> | null;
  model: Record<string, unknown> & { type?: string };
  [key: string]: unknown;
}

export interface AddedTokenJson {
  id: number;
  content: string;
  single_word?: boolean;
  lstrip?: boolean;
  rstrip?: boolean;
  normalized?: boolean;
  special?: boolean;
}

/** The WordPiece settings a BERT `tokenizer.json` records (the length limit lives in tokenizer_config.json). */
export type BertJsonOptions = Omit<WordPieceSettings, "modelMaxLength">;

/** The tokenizer.json that transformers' converter writes for a BERT vocabulary. */
export function bertTokenizerJson(vocab: readonly string[], options: BertJsonOptions): TokenizerJson {
  const ids = new Map<string, number>();
  vocab.forEach((token, id) => {
    ids.set(token, id);
  });
  const idOf = (token: string): number => {
    const id = ids.get(token);
    if (id === undefined) throw new Error(`special token ${JSON.stringify(token)} is not in the vocabulary`);
    return id;
  };
  const specials = [
    ...new Set([...specialTokenNames.map((name) => options.specialTokens[name]), ...options.additionalSpecialTokens]),
  ];
  const cls = options.specialTokens.cls;
  const sep = options.specialTokens.sep;
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: specials
      .map((content) => ({
        id: idOf(content),
        content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      }))
      .sort((left, right) => left.id - right.id),
    normalizer: {
      type: "BertNormalizer",
      clean_text: true,
      handle_chinese_chars: options.handleChineseChars,
      strip_accents: options.stripAccents,
      lowercase: options.lowercase,
    },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: {
      type: "TemplateProcessing",
      single: [special(cls, 0), sequence("A", 0), special(sep, 0)],
      pair: [special(cls, 0), sequence("A", 0), special(sep, 0), sequence("B", 1), special(sep, 1)],
      special_tokens: {
        [cls]: { id: cls, ids: [idOf(cls)], tokens: [cls] },
        [sep]: { id: sep, ids: [idOf(sep)], tokens: [sep] },
      },
    },
    decoder: { type: "WordPiece", prefix: options.continuingSubwordPrefix, cleanup: true },
    model: {
      type: "WordPiece",
      unk_token: options.specialTokens.unk,
      continuing_subword_prefix: options.continuingSubwordPrefix,
      max_input_chars_per_word: options.maxInputCharsPerWord,
      // Object key order follows insertion, so the file lists the vocabulary in id order.
      vocab: Object.fromEntries(vocab.map((token, id) => [token, id])),
    },
  };
}

function special(id: string, typeId: number): Record<string, unknown> {
  return { SpecialToken: { id, type_id: typeId } };
}

function sequence(id: "A" | "B", typeId: number): Record<string, unknown> {
  return { Sequence: { id, type_id: typeId } };
}

export interface PlainBertPipeline {
  vocab: string[];
  normalizer: Record<string, unknown>;
  unkToken: string;
  clsToken: string;
  sepToken: string;
  prefix: string;
  maxChars: number;
}

/**
 * The settings of a tokenizer.json that is exactly the BERT pipeline (BertNormalizer,
 * BertPreTokenizer, WordPiece, `[CLS] A [SEP] B [SEP]`), or undefined for anything else.
 */
export function plainBertPipeline(json: TokenizerJson): PlainBertPipeline | undefined {
  const { model, normalizer, pre_tokenizer: preTokenizer } = json;
  if (model.type !== "WordPiece" || !isRecord(model.vocab)) return undefined;
  if (!isRecord(normalizer) || normalizer.type !== "BertNormalizer") return undefined;
  if (!isRecord(preTokenizer) || preTokenizer.type !== "BertPreTokenizer") return undefined;
  const template = bertTemplate(json.post_processor);
  if (template === undefined) return undefined;
  const vocab: string[] = [];
  for (const [token, id] of Object.entries(model.vocab)) {
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0) return undefined;
    vocab[id] = token;
  }
  // A vocabulary with holes or extra added tokens cannot be written as vocab.txt.
  for (let id = 0; id < vocab.length; id += 1) if (vocab[id] === undefined) return undefined;
  for (const added of json.added_tokens ?? []) if (vocab[added.id] !== added.content) return undefined;
  // The native path matches added tokens raw and whole; any other matching rule needs the general one.
  const plain = (added: AddedTokenJson) =>
    added.normalized === false && !added.lstrip && !added.rstrip && !added.single_word;
  if (!(json.added_tokens ?? []).every(plain)) return undefined;
  return {
    vocab,
    normalizer,
    unkToken: typeof model.unk_token === "string" ? model.unk_token : "[UNK]",
    clsToken: template.cls,
    sepToken: template.sep,
    prefix: typeof model.continuing_subword_prefix === "string" ? model.continuing_subword_prefix : "##",
    maxChars: typeof model.max_input_chars_per_word === "number" ? model.max_input_chars_per_word : 100,
  };
}

function bertTemplate(processor: unknown): { cls: string; sep: string } | undefined {
  if (!isRecord(processor)) return undefined;
  if (processor.type === "BertProcessing") {
    const cls = processor.cls;
    const sep = processor.sep;
    if (Array.isArray(cls) && Array.isArray(sep) && typeof cls[0] === "string" && typeof sep[0] === "string") {
      return { cls: cls[0], sep: sep[0] };
    }
    return undefined;
  }
  if (processor.type !== "TemplateProcessing") return undefined;
  const single = JSON.stringify(processor.single);
  const pair = JSON.stringify(processor.pair);
  const first = Array.isArray(processor.single) ? processor.single[0] : undefined;
  const last = Array.isArray(processor.single) ? processor.single[2] : undefined;
  const cls = isRecord(first) && isRecord(first.SpecialToken) ? first.SpecialToken.id : undefined;
  const sep = isRecord(last) && isRecord(last.SpecialToken) ? last.SpecialToken.id : undefined;
  if (typeof cls !== "string" || typeof sep !== "string") return undefined;
  const expectedSingle = JSON.stringify([special(cls, 0), sequence("A", 0), special(sep, 0)]);
  const expectedPair = JSON.stringify([
    special(cls, 0),
    sequence("A", 0),
    special(sep, 0),
    sequence("B", 1),
    special(sep, 1),
  ]);
  return single === expectedSingle && pair === expectedPair ? { cls, sep } : undefined;
}
