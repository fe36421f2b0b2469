import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import { multipleNegativesRankingLoss } from "../src/losses/multiple-negatives-ranking.js";
import { parseRecipe } from "../src/recipes/load.js";
import { type MultipleNegativesObjective, nliTriplets, SimcseObjective } from "../src/train/objectives/contrastive.js";
import { objectiveDescriptor } from "../src/train/objectives/registry.js";
import { BabelbedError } from "../src/util/errors.js";
import { useBackend } from "./helpers/backends.js";
import { tinyEncoder, tinySentences } from "./helpers/tiny-encoder.js";

const source = (kind: string) => `{kind: ${kind}, file: rows.tsv, format: tsv, header: true}`;

/** The options a recipe's objective line yields, defaults applied by the schema. */
function parsedOptions(line: string): Record<string, unknown> {
  const text = [
    "name: r",
    "steps:",
    "  - step: train-teacher",
    "    name: t",
    "    model: {from: m}",
    "    objectives:",
    `      - ${line}`,
  ].join("\n");
  const {
    type: _type,
    data: _data,
    ...options
  } = (parseRecipe(text, "r.yaml").steps[0] as unknown as { objectives: Record<string, unknown>[] }).objectives[0]!;
  return options;
}

const origin = { file: "rows.tsv", line: 2 };
const nli = [
  { premise: tinySentences[0]!, hypothesis: tinySentences[1]!, label: "entailment" as const },
  { premise: tinySentences[0]!, hypothesis: tinySentences[2]!, label: "contradiction" as const },
  { premise: tinySentences[0]!, hypothesis: tinySentences[3]!, label: "neutral" as const },
  { premise: tinySentences[4]!, hypothesis: tinySentences[5]!, label: "entailment" as const },
  { premise: tinySentences[6]!, hypothesis: tinySentences[7]!, label: "entailment" as const },
  { premise: tinySentences[6]!, hypothesis: tinySentences[8]!, label: "contradiction" as const },
].map((row) => ({ ...origin, ...row }));

test("recipe defaults: simcse temperature 0.05; multiple-negatives scale 20, not symmetric; the NLI form with hard negatives", () => {
  assert.deepEqual(parsedOptions(`{type: simcse, data: ${source("sentences")}}`), { temperature: 0.05 });
  assert.deepEqual(parsedOptions(`{type: multiple-negatives, data: ${source("triplets")}}`), {
    scale: 20,
    symmetric: false,
  });
  assert.deepEqual(
    parsedOptions(`{type: multiple-negatives-nli, data: ${source("labelled-pairs")}, symmetric: true}`),
    { scale: 20, symmetric: true, hardNegatives: true },
  );
  assert.throws(() => parsedOptions(`{type: simcse, data: ${source("sentences")}, temperature: 0}`), BabelbedError);
});

test("each descriptor builds its objective from rows: sentences, triplets, and NLI pairs through nliTriplets", async () => {
  await useBackend("js");
  const encoder = await tinyEncoder(3);
  const before = tf.memory().numTensors;
  const context = { seed: 1, position: 0 };
  const simcse = objectiveDescriptor("simcse").build(
    encoder,
    tinySentences.map((text) => ({ ...origin, text })) as never,
    { temperature: 0.1 },
    context,
  );
  assert.ok(simcse instanceof SimcseObjective);
  assert.equal(simcse.size, tinySentences.length);
  assert.equal(simcse.temperature, 0.1);

  const triplets = [0, 3, 6].map((k) => ({
    ...origin,
    anchor: tinySentences[k]!,
    positive: tinySentences[k + 1]!,
    negative: tinySentences[k + 2]!,
  }));
  const explicit = objectiveDescriptor("multiple-negatives").build(
    encoder,
    triplets as never,
    { scale: 10, symmetric: true },
    context,
  ) as MultipleNegativesObjective;
  assert.equal(explicit.size, 3);
  assert.equal(explicit.scale, 10);
  assert.equal(explicit.symmetric, true);

  // The NLI form is the triplet form on nliTriplets' rows: the same loss on the same batch.
  const fromNli = objectiveDescriptor("multiple-negatives-nli").build(
    encoder,
    nli as never,
    { scale: 20, symmetric: false, hardNegatives: true },
    context,
  ) as MultipleNegativesObjective;
  const expected = nliTriplets(nli);
  assert.equal(fromNli.size, expected.length);
  assert.equal(fromNli.size, 2, "premises without a contradiction are left out");
  const prepared = fromNli.prepare([0, 1]);
  const loss = tf.tidy(() => prepared.loss(new Map(), { training: false }).dataSync()[0]!);
  const direct = tf.tidy(() => {
    const [anchors, positives, negatives] = [0, 1, 2].map((column) =>
      encoder.forward(
        encoder.batch(expected.map((example) => [example.anchor, example.positive, example.negative!][column]!)),
      ),
    );
    return multipleNegativesRankingLoss(anchors!, positives!, { negatives, scale: 20 }).dataSync()[0]!;
  });
  assert.ok(Math.abs(loss - direct) < 1e-5, `${loss} vs ${direct}`);
  const withoutNegatives = objectiveDescriptor("multiple-negatives-nli").build(
    encoder,
    nli as never,
    { scale: 20, symmetric: false, hardNegatives: false },
    context,
  );
  assert.equal(withoutNegatives.size, 3);
  assert.throws(
    () =>
      objectiveDescriptor("multiple-negatives-nli").build(
        encoder,
        nli.filter((row) => row.label !== "entailment") as never,
        { scale: 20, symmetric: false, hardNegatives: true },
        context,
      ),
    (error) => error instanceof BabelbedError && /no premise has an entailment/.test(error.message),
  );
  for (const objective of [simcse, explicit, fromNli, withoutNegatives]) objective.dispose();
  assert.equal(tf.memory().numTensors, before);
  encoder.dispose();
});
