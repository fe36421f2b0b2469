/** Splits one normalised piece of text into the words the model tokenizes separately. */
export type PreTokenize = (text: string, atStart: boolean) => string[];

/**
 * The tokenizer.json pre-tokenizer. Metaspace (SentencePiece models) runs here with the Rust
 * crate's rules, because @huggingface/tokenizers keeps a section whole and ignores the legacy
 * `add_prefix_space` flag; the other kinds run on the library (`library`, may be null).
 */
export function jsonPreTokenizer(
  config: unknown,
  library: ((text: string, options: { section_index: number }) => string[]) | null,
): PreTokenize {
  if (isObject(config) && config.type === "Metaspace") return metaspace(config);
  if (library === null) return (text) => [text];
  // The library tells a "first" section by its index; index 0 only for text at offset 0.
  return (text, atStart) => library(text, { section_index: atStart ? 0 : 1 });
}

function metaspace(config: Record<string, unknown>): PreTokenize {
  const replacement = typeof config.replacement === "string" ? config.replacement : "\u2581";
  // Files before tokenizers 0.19 say add_prefix_space instead of prepend_scheme.
  const scheme =
    typeof config.prepend_scheme === "string"
      ? config.prepend_scheme
      : config.add_prefix_space === false
        ? "never"
        : "always";
  const split = config.split !== false;
  return (text, atStart) => {
    let replaced = text.split(" ").join(replacement);
    const prepend = scheme === "always" || (scheme === "first" && atStart);
    if (prepend && !replaced.startsWith(replacement)) replaced = replacement + replaced;
    return split ? splitBefore(replaced, replacement) : [replaced];
  };
}

/** "▁Hello▁world" becomes ["▁Hello", "▁world"], the crate's MergedWithNext split. */
function splitBefore(text: string, marker: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let index = text.indexOf(marker, 1); index !== -1; index = text.indexOf(marker, index + marker.length)) {
    parts.push(text.slice(start, index));
    start = index;
  }
  parts.push(text.slice(start));
  return parts.filter((part) => part.length > 0);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
