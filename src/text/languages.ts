import { BabelbedError } from "../util/errors.js";

/** What the wizard knows about a language: how to name it, and what its text needs before WordPiece. */
export interface Language {
  /** ISO 639-1. */
  code: string;
  name: string;
  /** Pre-segment into words (`segment: [code]`): only languages babelbed ships a segmenter for. */
  segment: boolean;
  /** Written without spaces between CJK characters, so a corpus spaced by KyTea or MeCab wants `joinSpacedCjk`. */
  cjk: boolean;
  /** Said to the user and written into the recipe next to the student. */
  note?: string;
  /** Not an ISO 639-1 code: a typo, or a private code; the wizard asks before using it. */
  unknown?: boolean;
}

const table: Language[] = [
  {
    code: "ja",
    name: "Japanese",
    segment: true,
    cjk: true,
    note: "segmented into words with kuromoji (segment: [ja]) before WordPiece",
  },
  {
    code: "zh",
    name: "Chinese",
    segment: false,
    cjk: true,
    note: "no word segmenter ships for Chinese: WordPiece splits Han characters one by one, as multilingual BERT does",
  },
  {
    code: "ko",
    name: "Korean",
    segment: false,
    cjk: false,
    note: "Korean is written with spaces between eojeol, so WordPiece needs no segmenter; a larger vocabulary helps with its many word forms",
  },
  {
    code: "th",
    name: "Thai",
    segment: false,
    cjk: false,
    note: "Thai has no spaces between words and babelbed ships no Thai segmenter: WordPiece sees whole phrases, so pre-segment the data (e.g. with PyThaiNLP) for a better vocabulary",
  },
  { code: "de", name: "German", segment: false, cjk: false },
  { code: "fr", name: "French", segment: false, cjk: false },
  { code: "es", name: "Spanish", segment: false, cjk: false },
  { code: "it", name: "Italian", segment: false, cjk: false },
  { code: "pt", name: "Portuguese", segment: false, cjk: false },
  { code: "nl", name: "Dutch", segment: false, cjk: false },
  { code: "sv", name: "Swedish", segment: false, cjk: false },
  { code: "pl", name: "Polish", segment: false, cjk: false },
  { code: "cs", name: "Czech", segment: false, cjk: false },
  { code: "tr", name: "Turkish", segment: false, cjk: false },
  { code: "fi", name: "Finnish", segment: false, cjk: false },
  { code: "ru", name: "Russian", segment: false, cjk: false },
  { code: "uk", name: "Ukrainian", segment: false, cjk: false },
  { code: "el", name: "Greek", segment: false, cjk: false },
  { code: "ar", name: "Arabic", segment: false, cjk: false },
  { code: "he", name: "Hebrew", segment: false, cjk: false },
  { code: "fa", name: "Persian", segment: false, cjk: false },
  { code: "hi", name: "Hindi", segment: false, cjk: false },
  { code: "vi", name: "Vietnamese", segment: false, cjk: false },
  { code: "id", name: "Indonesian", segment: false, cjk: false },
];

export const languages: readonly Language[] = table;

/** Every ISO 639-1 code, so that a typo ("xx", "jp") is told apart from a real language babelbed has no notes on. */
const isoCodes = new Set(
  (
    "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ee el en eo es et eu " +
    "fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn " +
    "ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os " +
    "pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw " +
    "ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu"
  ).split(" "),
);

/** A language by ISO 639-1 code or English name, ignoring case ("Japanese", "ja", "JA"). */
export function findLanguage(query: string): Language | undefined {
  const key = query.trim().toLowerCase();
  return table.find((language) => language.code === key || language.name.toLowerCase() === key);
}

/**
 * One or more languages, comma-separated. A code not in the table is accepted as it is
 * (two lowercase letters), since distillation itself needs nothing language-specific; one
 * that is not ISO 639-1 either is marked `unknown` for the caller to confirm.
 */
export function parseLanguages(text: string, where = "--lang"): Language[] {
  const parts = text
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  if (parts.length === 0) throw new BabelbedError(`${where}: give a language, e.g. ja or Japanese`);
  const found = parts.map((part) => {
    if (/^(en|english)$/i.test(part))
      throw new BabelbedError(`${where}: English is the teacher's language; name the new language(s) only`);
    const known = findLanguage(part);
    if (known !== undefined) return known;
    if (/^[a-z]{2}$/i.test(part)) {
      const code = part.toLowerCase();
      return { code, name: code, segment: false, cjk: false, ...(isoCodes.has(code) ? {} : { unknown: true }) };
    }
    throw new BabelbedError(
      `${where}: unknown language "${part}" (use an ISO 639-1 code such as ${table
        .slice(0, 4)
        .map((l) => l.code)
        .join(", ")}, or an English name)`,
    );
  });
  const codes = found.map((language) => language.code);
  const repeated = codes.find((code, index) => codes.indexOf(code) !== index);
  if (repeated !== undefined) throw new BabelbedError(`${where}: language "${repeated}" is given twice`);
  return found;
}
