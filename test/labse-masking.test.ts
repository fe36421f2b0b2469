import assert from "node:assert/strict";
import { test } from "node:test";
import { maskSentences, maskTranslationPairs, type MaskingOptions } from "../src/train/masking.js";
import { Random } from "../src/util/random.js";

const special = { pad: 0, unk: 100, cls: 101, sep: 102, mask: 103 };
const options: MaskingOptions = { vocabSize: 1000, special: { ...special, others: [special.unk] } };
const specialIds = new Set(Object.values(special));

/** Ragged sentences of ordinary ids, some holding `[UNK]` (which must never be predicted). */
function sentences(random: Random, count: number): number[][] {
  return Array.from({ length: count }, () =>
    Array.from({ length: 1 + random.integer(30) }, () =>
      random.next() < 0.05 ? special.unk : 200 + random.integer(800),
    ),
  );
}

/** The number of standard deviations by which `observed` successes out of `trials` miss probability `p`. */
function deviations(observed: number, trials: number, p: number): number {
  return Math.abs(observed - trials * p) / Math.sqrt(trials * p * (1 - p));
}

test("MLM masking: 15% of ordinary tokens, 80/10/10, specials and padding untouched", () => {
  const random = new Random(11);
  const input = sentences(random, 4000);
  const { batch, labels } = maskSentences(input, options, random);
  let candidates = 0;
  let masked = 0;
  let replaced = 0;
  let kept = 0;
  input.forEach((sentence, row) => {
    const offset = row * batch.length;
    const ids = batch.inputIds.subarray(offset, offset + batch.length);
    const rowLabels = labels.subarray(offset, offset + batch.length);
    const original = [special.cls, ...sentence, special.sep];
    const ordinary = original.filter((id) => !specialIds.has(id)).length;
    candidates += ordinary;
    let rowChosen = 0;
    for (let position = 0; position < batch.length; position++) {
      const label = rowLabels[position]!;
      if (position >= original.length) {
        assert.equal(ids[position], special.pad, "padding stays padding");
        assert.equal(label, -100, "padding is never predicted");
        assert.equal(batch.attentionMask[offset + position], 0);
        continue;
      }
      const id = original[position]!;
      if (specialIds.has(id)) {
        assert.equal(ids[position], id, "special tokens are never replaced");
        assert.equal(label, -100, "special tokens are never predicted");
        continue;
      }
      if (label === -100) {
        assert.equal(ids[position], id, "unchosen tokens are unchanged");
        continue;
      }
      rowChosen++;
      assert.equal(label, id, "the label is the original token");
      if (ids[position] === special.mask) masked++;
      else if (ids[position] === id) kept++;
      else {
        replaced++;
        assert.ok(
          !specialIds.has(ids[position]!) && ids[position]! >= 0 && ids[position]! < options.vocabSize,
          "random tokens are ordinary ids",
        );
      }
    }
    if (ordinary > 0)
      assert.equal(
        rowChosen,
        Math.max(1, Math.round(ordinary * 0.15)),
        "15% of the candidates, at least one per sequence",
      );
  });
  const rate = masked + replaced + kept;
  console.log(
    `masking: ${rate} of ${candidates} chosen (${(rate / candidates).toFixed(4)}); mask ${masked}, random ${replaced}, kept ${kept}`,
  );
  // Rounding per sequence (with at least one) shifts the share a little for short sentences.
  assert.ok(Math.abs(rate / candidates - 0.15) < 0.02, `chosen share ${rate / candidates}`);
  // A random replacement may draw the original id (1 in 894 here) and then counts as kept.
  assert.ok(deviations(masked, rate, 0.8) < 4, `[MASK] share ${masked / rate}`);
  assert.ok(deviations(replaced, rate, 0.1 * (1 - 1 / 894)) < 4, `random share ${replaced / rate}`);
  assert.ok(deviations(kept, rate, 0.1 + 0.1 / 894) < 4, `kept share ${kept / rate}`);
});

test("masking is repeatable from a seed and differs between seeds", () => {
  const input = sentences(new Random(5), 50);
  const first = maskSentences(input, options, new Random(42));
  const again = maskSentences(input, options, new Random(42));
  const other = maskSentences(input, options, new Random(43));
  assert.deepEqual(again, first);
  assert.notDeepEqual(other.labels, first.labels);
});

test("TLM pairs: [CLS] x [SEP] y [SEP], token types 0 then 1, masking on both sides", () => {
  const random = new Random(3);
  const pairs = sentences(random, 2000).map((x, index): [number[], number[]] => [
    x,
    sentences(new Random(index), 1)[0]!,
  ]);
  const { batch, labels } = maskTranslationPairs(pairs, options, random);
  const sideCounts = [0, 0];
  const sideCandidates = [0, 0];
  pairs.forEach(([x, y], row) => {
    const offset = row * batch.length;
    const length = x.length + y.length + 3;
    assert.equal(batch.inputIds[offset], special.cls);
    assert.equal(batch.inputIds[offset + x.length + 1], special.sep);
    assert.equal(batch.inputIds[offset + length - 1], special.sep);
    for (let position = 0; position < batch.length; position++) {
      const side = position < x.length + 2 ? 0 : 1;
      assert.equal(batch.tokenTypeIds[offset + position], position < length ? side : 0, `token type at ${position}`);
      assert.equal(batch.attentionMask[offset + position], position < length ? 1 : 0);
      const original =
        position === 0 || position === x.length + 1 || position === length - 1
          ? special.cls
          : side === 0
            ? x[position - 1]
            : y[position - x.length - 2];
      if (position < length && !specialIds.has(original!)) sideCandidates[side]!++;
      if (labels[offset + position] !== -100) sideCounts[side]!++;
    }
  });
  console.log(
    `TLM: predicted ${sideCounts[0]} of ${sideCandidates[0]} source tokens, ${sideCounts[1]} of ${sideCandidates[1]} target tokens`,
  );
  for (const side of [0, 1]) {
    const share = sideCounts[side]! / sideCandidates[side]!;
    assert.ok(Math.abs(share - 0.15) < 0.02, `side ${side} is masked like the other: ${share}`);
  }
});

test("a sequence without ordinary tokens is left alone, and bad shares are refused", () => {
  const { batch, labels } = maskSentences([[], [special.unk]], options, new Random(1));
  assert.deepEqual(Array.from(labels), new Array(batch.batchSize * batch.length).fill(-100));
  assert.deepEqual(Array.from(batch.inputIds), [special.cls, special.sep, 0, special.cls, special.unk, special.sep]);
  assert.throws(
    () => maskSentences([[300]], { ...options, maskTokenShare: 0.95, randomTokenShare: 0.1 }, new Random(1)),
    /shares/,
  );
});
