import type { AddedTokenJson } from "./tokenizer-json-format.js";

/** A stretch of text still to tokenize, or one added token found in it. */
export type AddedSplit =
  | { text: string; id?: undefined /** starts at offset 0 of the original text */; atStart: boolean }
  | { text: string; id: number; atStart: boolean };

/**
 * The added-vocabulary pass of the Rust `tokenizers` crate (`AddedVocabulary::extract_and_normalize`):
 * tokens with `normalized: false` are found in the raw text, the pieces between them are
 * normalised, then tokens with `normalized: true` are found in those normalised pieces (matching
 * their own normalised spelling). Matching is leftmost-longest; `single_word` rejects a match
 * touching a word character, `lstrip`/`rstrip` swallow the whitespace beside the token.
 */
export class AddedVocabulary {
  private readonly raw: Matcher;
  private readonly normalizedTokens: Matcher;

  constructor(
    tokens: readonly AddedTokenJson[],
    private readonly normalize: (text: string) => string,
  ) {
    // The crate's default for an added token without the flag: normalised unless special.
    const isNormalized = (token: AddedTokenJson) => token.normalized ?? token.special !== true;
    this.raw = new Matcher(
      tokens.filter((token) => !isNormalized(token)).map((token) => ({ token, pattern: token.content })),
    );
    this.normalizedTokens = new Matcher(
      tokens.filter(isNormalized).map((token) => ({ token, pattern: normalize(token.content) })),
    );
  }

  /** Added tokens and normalised text pieces, in order; pieces that normalise to nothing are dropped. */
  extractAndNormalize(text: string, segment: (text: string) => string = (piece) => piece): AddedSplit[] {
    const result: AddedSplit[] = [];
    let offset = 0;
    for (const piece of this.raw.split(text)) {
      const atStart = offset === 0;
      offset += piece.text.length;
      if (piece.id !== undefined) {
        result.push({ text: piece.text, id: piece.id, atStart });
        continue;
      }
      const normalized = this.normalize(segment(piece.text));
      this.normalizedTokens.split(normalized).forEach((inner, index) => {
        if (inner.id !== undefined) result.push({ text: inner.text, id: inner.id, atStart: atStart && index === 0 });
        else if (inner.text.length > 0) result.push({ text: inner.text, atStart: atStart && index === 0 });
      });
    }
    return result;
  }
}

interface Pattern {
  token: AddedTokenJson;
  pattern: string;
}

// Rust regex classes are Unicode-aware: \w is alphabetic, marks, digits, connectors, joiners;
// \s is White_Space (U+0085 included, U+FEFF not).
const wordCharacter = /[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]/u;
const whitespaceClass = "\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const trailingWhitespace = new RegExp(`[${whitespaceClass}]*$`, "u");
const leadingWhitespace = new RegExp(`^[${whitespaceClass}]*`, "u");

class Matcher {
  private readonly pattern: RegExp | undefined;
  private readonly byPattern = new Map<string, AddedTokenJson>();

  constructor(patterns: Pattern[]) {
    for (const { token, pattern } of patterns)
      if (pattern.length > 0 && !this.byPattern.has(pattern)) this.byPattern.set(pattern, token);
    // Longest alternatives first: at the leftmost position the longest token wins.
    const sorted = [...this.byPattern.keys()].sort((left, right) => right.length - left.length);
    this.pattern = sorted.length > 0 ? new RegExp(sorted.map(escapeRegExp).join("|"), "gu") : undefined;
  }

  /** The crate's `find_matches`: splits covering the whole text. */
  split(text: string): { text: string; id?: number }[] {
    if (this.pattern === undefined || text.length === 0) return [{ text }];
    const splits: { text: string; id?: number }[] = [];
    let startOffset = 0;
    for (const match of text.matchAll(this.pattern)) {
      let start = match.index ?? 0;
      let stop = start + match[0].length;
      const token = this.byPattern.get(match[0]) as AddedTokenJson;
      if (token.single_word === true) {
        const touchesLeft = start > 0 && endsWithWord(text.slice(0, start));
        const touchesRight = stop < text.length && wordCharacter.test(firstCharacter(text.slice(stop)));
        if (touchesLeft || touchesRight) continue;
      }
      if (token.lstrip === true) {
        const before = text.slice(0, start);
        start = Math.max(before.length - (trailingWhitespace.exec(before)?.[0].length ?? 0), startOffset);
      }
      if (token.rstrip === true) stop += leadingWhitespace.exec(text.slice(stop))?.[0].length ?? 0;
      if (startOffset < start) splits.push({ text: text.slice(startOffset, start) });
      splits.push({ text: text.slice(start, stop), id: token.id });
      startOffset = stop;
    }
    if (startOffset !== text.length) splits.push({ text: text.slice(startOffset) });
    return splits;
  }
}

function endsWithWord(text: string): boolean {
  const characters = Array.from(text);
  return wordCharacter.test(characters[characters.length - 1] ?? "");
}

function firstCharacter(text: string): string {
  const code = text.codePointAt(0);
  return code === undefined ? "" : String.fromCodePoint(code);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
