import type { SpecialTokenIds } from "./types.js";

// Apart from config.ts (which reads files), so the browser runtime's tokenizer needs no node:fs.
export type SpecialTokenName = keyof SpecialTokenIds;
export type SpecialTokenStrings = Record<SpecialTokenName, string>;

export const specialTokenNames: readonly SpecialTokenName[] = ["cls", "sep", "pad", "mask", "unk"];

export const bertSpecialTokens: SpecialTokenStrings = {
  cls: "[CLS]",
  sep: "[SEP]",
  pad: "[PAD]",
  mask: "[MASK]",
  unk: "[UNK]",
};
