/**
 * Sentences an export is read back on: several scripts, accents, case and unknown words, so
 * padding, positions and every tokenizer path are exercised. Shared by the tfjs and ONNX checks.
 */
export const probeSentences = [
  "The cat sits on the mat.",
  "Crème brûlée, s'il vous plaît!",
  "Größere Häuser kosten mehr.",
  "東京は日本の首都です。",
  "Zxqv unknownword 123",
];
