/**
 * Per-code-point properties that BERT normalisation and pre-tokenisation ask about, looked up in
 * a table instead of running Unicode-property regexes over every sentence (several times faster
 * on non-ASCII text). The table is filled from the same regexes, so the answers are identical.
 */

/** Cc except \t \n \r, Cf, Co, Cs, NUL and U+FFFD: dropped when cleaning text. */
export const removed = 1;
/** Whitespace other than U+0020 itself, which cleaning turns into U+0020. */
export const spaceLike = 2;
/** CJK ideographs that get spaces around them. */
export const chinese = 4;
export const nonspacingMark = 8;
/** Unicode punctuation plus every ASCII non-alphanumeric: split off as its own word. */
export const punctuation = 16;
/** Where words end (Unicode White_Space, as Rust's `char::is_whitespace`). */
export const whitespace = 32;
/** The character changes under NFD, so accent stripping has to decompose the text. */
export const decomposes = 64;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what BERT's cleaning removes.
const removedPattern = /^[\0-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\p{Cf}\p{Co}\p{Cs}\uFFFD]$/u;
const spaceLikePattern = /^[\p{Zs}\t\n\r\u2028\u2029]$/u;
// The Rust crate's `is_chinese_char`; its Extension E range starts at U+2B920, not U+2B820 as in Python.
const chinesePattern =
  /^[\u4E00-\u9FFF\u3400-\u4DBF\u{20000}-\u{2A6DF}\u{2A700}-\u{2B73F}\u{2B740}-\u{2B81F}\u{2B920}-\u{2CEAF}\uF900-\uFAFF\u{2F800}-\u{2FA1F}]$/u;
const nonspacingMarkPattern = /^\p{Mn}$/u;
// ASCII symbols such as $ + < ^ ` count as punctuation too, as in BERT.
const punctuationPattern = /^[\p{P}!-/:-@[-`{-~]$/u;
const whitespacePattern = /^\p{White_Space}$/u;

function classify(codePoint: number): number {
  // Lone surrogates can only come from JS strings; they are Cs, removed like the Rust crate's Cs.
  const character = codePoint >= 0xd800 && codePoint <= 0xdfff ? "\ud800" : String.fromCodePoint(codePoint);
  let flags = 0;
  if (removedPattern.test(character)) flags |= removed;
  if (spaceLikePattern.test(character) && codePoint !== 0x20) flags |= spaceLike;
  if (chinesePattern.test(character)) flags |= chinese;
  if (nonspacingMarkPattern.test(character)) flags |= nonspacingMark;
  if (punctuationPattern.test(character)) flags |= punctuation;
  if (whitespacePattern.test(character)) flags |= whitespace;
  if (character.normalize("NFD") !== character) flags |= decomposes;
  return flags;
}

let basicPlane: Uint8Array | undefined;
const astralPlanes = new Map<number, number>();

function basicPlaneTable(): Uint8Array {
  if (basicPlane === undefined) {
    basicPlane = new Uint8Array(0x10000);
    for (let codePoint = 0; codePoint < 0x10000; codePoint += 1) basicPlane[codePoint] = classify(codePoint);
  }
  return basicPlane;
}

export function flagsOf(codePoint: number): number {
  if (codePoint < 0x10000) return basicPlaneTable()[codePoint] as number;
  let flags = astralPlanes.get(codePoint);
  if (flags === undefined) {
    flags = classify(codePoint);
    astralPlanes.set(codePoint, flags);
  }
  return flags;
}

/** The code point at `index` of a UTF-16 string; a lone surrogate stands for itself. */
export function codePointAt(text: string, index: number): number {
  const unit = text.charCodeAt(index);
  if (unit >= 0xd800 && unit <= 0xdbff && index + 1 < text.length) {
    const low = text.charCodeAt(index + 1);
    if (low >= 0xdc00 && low <= 0xdfff) return (unit - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
  }
  return unit;
}
