import { isRecord } from "./config.js";

/** One element of a special-token template: fixed ids, or one of the input sequences. */
export type TemplatePiece = { ids: number[]; typeId: number } | { sequence: "A" | "B"; typeId: number };

export interface SpecialTemplate {
  single: TemplatePiece[];
  pair: TemplatePiece[];
}

/**
 * The special-token layout a tokenizer.json post-processor describes. RoBERTa-style processing
 * gets token type 0 throughout: XLM-R and RoBERTa have a single token type and transformers
 * never feeds them token_type_ids.
 */
export function specialTemplate(processor: unknown, idOf: (token: string) => number): SpecialTemplate {
  if (!isRecord(processor)) {
    return { single: [sequence("A", 0)], pair: [sequence("A", 0), sequence("B", 1)] };
  }
  switch (processor.type) {
    case "BertProcessing": {
      const cls = pairId(processor.cls, idOf);
      const sep = pairId(processor.sep, idOf);
      return {
        single: [fixed([cls], 0), sequence("A", 0), fixed([sep], 0)],
        pair: [fixed([cls], 0), sequence("A", 0), fixed([sep], 0), sequence("B", 1), fixed([sep], 1)],
      };
    }
    case "RobertaProcessing": {
      const cls = pairId(processor.cls, idOf);
      const sep = pairId(processor.sep, idOf);
      return {
        single: [fixed([cls], 0), sequence("A", 0), fixed([sep], 0)],
        pair: [fixed([cls], 0), sequence("A", 0), fixed([sep, sep], 0), sequence("B", 0), fixed([sep], 0)],
      };
    }
    case "TemplateProcessing":
      return {
        single: templatePieces(processor.single, processor.special_tokens, idOf),
        pair: templatePieces(processor.pair, processor.special_tokens, idOf),
      };
    case "Sequence": {
      // ByteLevel steps only adjust offsets; the step that adds special tokens decides the layout.
      const steps = Array.isArray(processor.processors) ? processor.processors : [];
      const adding = steps.find((step) => isRecord(step) && step.type !== "ByteLevel");
      return specialTemplate(adding, idOf);
    }
    case "ByteLevel":
      return specialTemplate(undefined, idOf);
    default:
      throw new Error(`unsupported tokenizer.json post_processor ${JSON.stringify(processor.type)}`);
  }
}

export function specialCount(pieces: TemplatePiece[]): number {
  return pieces.reduce((count, piece) => count + ("ids" in piece ? piece.ids.length : 0), 0);
}

/** Lays out the content ids of one or two sequences with their special tokens. */
export function applyTemplate(
  pieces: TemplatePiece[],
  first: number[],
  second: number[] = [],
): {
  ids: number[];
  typeIds: number[];
} {
  const ids: number[] = [];
  const typeIds: number[] = [];
  for (const piece of pieces) {
    const content = "ids" in piece ? piece.ids : piece.sequence === "A" ? first : second;
    for (const id of content) {
      ids.push(id);
      typeIds.push(piece.typeId);
    }
  }
  return { ids, typeIds };
}

function sequence(id: "A" | "B", typeId: number): TemplatePiece {
  return { sequence: id, typeId };
}

function fixed(ids: number[], typeId: number): TemplatePiece {
  return { ids, typeId };
}

/** Bert/Roberta processors store special tokens as `[token, id]`; the vocabulary decides the id. */
function pairId(value: unknown, idOf: (token: string) => number): number {
  if (Array.isArray(value) && typeof value[0] === "string") return idOf(value[0]);
  throw new Error(`malformed special token ${JSON.stringify(value)} in tokenizer.json post_processor`);
}

function templatePieces(items: unknown, specialTokens: unknown, idOf: (token: string) => number): TemplatePiece[] {
  if (!Array.isArray(items)) throw new Error("TemplateProcessing without a template list");
  return items.map((item): TemplatePiece => {
    if (isRecord(item) && isRecord(item.Sequence)) {
      const typeId = Number(item.Sequence.type_id ?? 0);
      return sequence(item.Sequence.id === "B" ? "B" : "A", typeId);
    }
    if (isRecord(item) && isRecord(item.SpecialToken) && typeof item.SpecialToken.id === "string") {
      const name = item.SpecialToken.id;
      const entry = isRecord(specialTokens) ? specialTokens[name] : undefined;
      const ids = isRecord(entry) && Array.isArray(entry.ids) ? entry.ids.map(Number) : [idOf(name)];
      return fixed(ids, Number(item.SpecialToken.type_id ?? 0));
    }
    throw new Error(`malformed TemplateProcessing item ${JSON.stringify(item)}`);
  });
}
