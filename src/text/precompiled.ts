/**
 * SentencePiece's `precompiled_charsmap` normaliser as the Rust `tokenizers` crate runs it (XLM-R,
 * mBART, T5...). @huggingface/tokenizers approximates it with NFKC and a hand-written character
 * list, which differs on zero-width joiners and other format characters; this reads the real map.
 *
 * The map is `[u32 trie size in bytes][double-array trie of u32 units][replacement strings,
 * each ending in NUL]`; a trie value is a byte offset into the replacement strings.
 */
export class PrecompiledCharsmap {
  private readonly trie: Uint32Array;
  private readonly replacements: Uint8Array;
  private readonly decoded = new Map<number, string>();
  private readonly memo = new Map<string, string | null>();

  constructor(base64: string) {
    // atob and DataView rather than Buffer: the browser bundle runs this file too.
    const bytes = Uint8Array.from(atob(base64), (character) => character.charCodeAt(0));
    const view = new DataView(bytes.buffer);
    if (bytes.length < 4) throw new Error("precompiled_charsmap is too short");
    const trieBytes = view.getUint32(0, true);
    if (trieBytes % 4 !== 0 || 4 + trieBytes > bytes.length)
      throw new Error("precompiled_charsmap has a malformed trie size");
    this.trie = new Uint32Array(trieBytes / 4);
    for (let index = 0; index < this.trie.length; index += 1) this.trie[index] = view.getUint32(4 + 4 * index, true);
    this.replacements = bytes.subarray(4 + trieBytes);
  }

  /**
   * The replacement for `chunk`, or undefined. Like the crate this takes the *shortest* key that
   * is a prefix of the chunk and replaces the whole chunk with it.
   */
  transform(chunk: string): string | undefined {
    const offset = this.firstPrefixValue(utf8.encode(chunk));
    if (offset === undefined) return undefined;
    let text = this.decoded.get(offset);
    if (text === undefined) {
      let end = offset;
      while (end < this.replacements.length && this.replacements[end] !== 0) end += 1;
      text = utf8Decoder.decode(this.replacements.subarray(offset, end));
      this.decoded.set(offset, text);
    }
    return text;
  }

  /** The crate's `Precompiled::normalize`: whole grapheme clusters under 6 UTF-8 bytes, else code points. */
  normalize(text: string): string {
    let result = "";
    if (standalone.test(text)) {
      // Every code point is a cluster of its own here: the same answer without Intl.Segmenter, 8x faster.
      for (const character of text) result += this.cached(character) ?? character;
      return result;
    }
    for (const { segment } of graphemes.segment(text)) {
      if (utf8.encode(segment).length < 6) {
        const whole = this.cached(segment);
        if (whole !== undefined) {
          result += whole;
          continue;
        }
      }
      for (const character of segment) result += this.cached(character) ?? character;
    }
    return result;
  }

  private cached(chunk: string): string | undefined {
    let value = this.memo.get(chunk);
    if (value === undefined) {
      value = this.transform(chunk) ?? null;
      if (this.memo.size < 65_536) this.memo.set(chunk, value);
    }
    return value ?? undefined;
  }

  // Darts double array: a unit packs label (bits 0-7 and 31), has-leaf (bit 8) and an offset.
  private firstPrefixValue(key: Uint8Array): number | undefined {
    const trie = this.trie;
    if (trie.length === 0) return undefined;
    let position = unitOffset(trie[0] as number);
    for (const byte of key) {
      if (byte === 0) return undefined;
      position ^= byte;
      const unit = trie[position];
      if (unit === undefined || (unit & 0x800000ff) >>> 0 !== byte) return undefined;
      position ^= unitOffset(unit);
      if (((unit >>> 8) & 1) === 1) return (trie[position] as number) & 0x7fffffff;
    }
    return undefined;
  }
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();
// Code points that never join a neighbour into one grapheme cluster (no marks, joiners, jamo,
// Indic consonants, prepended or regional-indicator characters, CR/LF): ASCII, Latin-1 and
// Latin Extended, CJK punctuation, kana without combining marks, CJK ideographs, full-width forms.
const standalone =
  /^[\t\x20-\x7E\u00A0-\u024F\u3000-\u3029\u3030-\u303F\u3041-\u3096\u309B-\u30FF\u4E00-\u9FFF\uFF01-\uFF9D]*$/;
const graphemes = new Intl.Segmenter("und", { granularity: "grapheme" });

function unitOffset(unit: number): number {
  return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
}
