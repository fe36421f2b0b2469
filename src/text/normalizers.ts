import { normalizeBert } from "./basic.js";
import { PrecompiledCharsmap } from "./precompiled.js";

type Normalize = (text: string) => string;

/**
 * The normaliser a tokenizer.json describes, with the semantics of the Rust `tokenizers` crate
 * (0.23). Babelbed runs these itself because @huggingface/tokenizers approximates Precompiled,
 * strips U+FEFF as whitespace and lowercases with the final-sigma rule.
 */
export function jsonNormalizer(config: unknown): Normalize {
  if (!isObject(config)) return (text) => text;
  switch (config.type) {
    case "Sequence": {
      const steps = (Array.isArray(config.normalizers) ? config.normalizers : []).map(jsonNormalizer);
      return (text) => steps.reduce((current, step) => step(current), text);
    }
    case "Precompiled": {
      const charsmap = config.precompiled_charsmap;
      // transformers writes an empty map for SentencePiece models trained without normalisation.
      if (typeof charsmap !== "string" || charsmap.length === 0) return (text) => text;
      const map = new PrecompiledCharsmap(charsmap);
      return (text) => map.normalize(text);
    }
    case "BertNormalizer":
      return (text) =>
        normalizeBert(text, {
          cleanText: config.clean_text !== false,
          handleChineseChars: config.handle_chinese_chars !== false,
          lowercase: config.lowercase !== false,
          stripAccents: typeof config.strip_accents === "boolean" ? config.strip_accents : null,
        });
    case "Strip": {
      const left = config.strip_left === true;
      const right = config.strip_right === true;
      return (text) => {
        if (left) text = text.replace(leadingWhitespace, "");
        if (right) text = text.replace(trailingWhitespace, "");
        return text;
      };
    }
    case "Replace":
      return replacement(config);
    case "Prepend": {
      const prefix = String(config.prepend ?? "");
      // The crate prepends nothing to an empty string.
      return (text) => (text.length === 0 ? text : prefix + text);
    }
    case "Lowercase":
      // One code point at a time, as Rust's char::to_lowercase: no final sigma.
      return (text) => Array.from(text, (character) => character.toLowerCase()).join("");
    case "StripAccents":
      return (text) => text.replace(nonspacingMarks, "");
    case "NFC":
    case "NFD":
    case "NFKC":
    case "NFKD": {
      const form = config.type;
      return (text) => text.normalize(form);
    }
    default:
      throw new Error(`unsupported tokenizer.json normalizer ${JSON.stringify(config.type)}`);
  }
}

// Rust's char::is_whitespace is Unicode White_Space: U+0085 included, U+FEFF (JavaScript's \s) not.
const whitespaceClass = "\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const leadingWhitespace = new RegExp(`^[${whitespaceClass}]+`, "u");
const trailingWhitespace = new RegExp(`[${whitespaceClass}]+$`, "u");
const nonspacingMarks = /\p{Mn}/gu;

function replacement(config: Record<string, unknown>): Normalize {
  const pattern = config.pattern;
  const content = String(config.content ?? "");
  if (isObject(pattern) && typeof pattern.String === "string") {
    const literal = pattern.String;
    return (text) => (literal.length === 0 ? text : text.split(literal).join(content));
  }
  if (isObject(pattern) && typeof pattern.Regex === "string") {
    const regex = new RegExp(pattern.Regex, "gu");
    return (text) => text.replace(regex, () => content);
  }
  throw new Error(`tokenizer.json Replace normalizer without a String or Regex pattern`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
