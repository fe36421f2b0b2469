import assert from "node:assert/strict";
import { test } from "node:test";

test('the public API is importable by package name, as `import { SentenceEncoder } from "babelbed"`', async () => {
  const babelbed = await import("babelbed");
  for (const name of ["SentenceEncoder", "loadSentenceEncoder", "saveSentenceEncoder", "selectDevice", "Trainer", "AdamW", "runRecipe", "loadTokenizer", "trainWordPiece", "evaluateSts", "additiveMarginLoss", "Pretrainer", "DualEncoderTrainer", "composeRecipe", "checkModelWidths", "saveTfjsEncoder", "writeRunReport"]) {
    assert.ok(name in babelbed, `${name} is exported`);
  }
});
