export interface WordPieceOptions {
  unkToken: string;
  continuingSubwordPrefix: string;
  /** Longer words (counted in code points) become a single unknown token. */
  maxInputCharsPerWord: number;
}

export const defaultWordPieceOptions: WordPieceOptions = {
  unkToken: "[UNK]",
  continuingSubwordPrefix: "##",
  maxInputCharsPerWord: 100,
};

// Words repeat heavily in real text; remembering their pieces skips the greedy search.
const cacheLimit = 200_000;

/** Greedy longest-match-first WordPiece, as in BERT and the Rust `tokenizers` crate. */
export class WordPieceModel {
  readonly options: WordPieceOptions;
  readonly unkId: number;
  private readonly ids = new Map<string, number>();
  // Continuation pieces keyed without their prefix, so lookups need no string concatenation.
  private readonly continuationIds = new Map<string, number>();
  private readonly longestPiece: number;
  private readonly cache = new Map<string, number[]>();

  constructor(
    readonly vocab: readonly string[],
    options: Partial<WordPieceOptions> = {},
  ) {
    this.options = { ...defaultWordPieceOptions, ...options };
    const prefix = this.options.continuingSubwordPrefix;
    let longest = 1;
    vocab.forEach((token, id) => {
      // Later duplicates win, as when Hugging Face fills its vocabulary dictionary.
      this.ids.set(token, id);
      if (prefix.length > 0 && token.startsWith(prefix) && token.length > prefix.length) {
        this.continuationIds.set(token.slice(prefix.length), id);
      }
      longest = Math.max(longest, token.length);
    });
    this.longestPiece = longest;
    const unkId = this.ids.get(this.options.unkToken);
    if (unkId === undefined) {
      throw new Error(`the vocabulary has no unknown token ${JSON.stringify(this.options.unkToken)}`);
    }
    this.unkId = unkId;
  }

  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  /** Appends the piece ids of one pre-tokenized word to `output`. */
  encodeWord(word: string, output: number[]): void {
    const cached = this.cache.get(word);
    if (cached !== undefined) {
      for (const id of cached) output.push(id);
      return;
    }
    const pieces = this.search(word);
    if (this.cache.size >= cacheLimit) this.cache.clear();
    this.cache.set(word, pieces);
    for (const id of pieces) output.push(id);
  }

  private search(word: string): number[] {
    if (word.length > this.options.maxInputCharsPerWord && codePointCount(word) > this.options.maxInputCharsPerWord) {
      return [this.unkId];
    }
    const pieces: number[] = [];
    let start = 0;
    while (start < word.length) {
      const table = start === 0 ? this.ids : this.continuationIds;
      let end = Math.min(word.length, start + this.longestPiece);
      let found: number | undefined;
      while (end > start) {
        if (isLowSurrogateInside(word, end)) {
          end -= 1;
          continue;
        }
        found = table.get(word.slice(start, end));
        if (found !== undefined) break;
        end -= 1;
      }
      if (found === undefined) return [this.unkId];
      pieces.push(found);
      start = end;
    }
    return pieces;
  }
}

function codePointCount(text: string): number {
  let count = 0;
  for (let index = 0; index < text.length; index += 1) {
    const unit = text.charCodeAt(index);
    // A trailing low surrogate belongs to the code point already counted.
    if (unit < 0xdc00 || unit > 0xdfff || index === 0 || !isHighSurrogate(text.charCodeAt(index - 1))) count += 1;
  }
  return count;
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

/** True when cutting at `index` would split a surrogate pair. */
function isLowSurrogateInside(text: string, index: number): boolean {
  if (index <= 0 || index >= text.length) return false;
  const unit = text.charCodeAt(index);
  return unit >= 0xdc00 && unit <= 0xdfff && isHighSurrogate(text.charCodeAt(index - 1));
}
