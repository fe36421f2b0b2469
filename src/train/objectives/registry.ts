import { classification } from "./classification.js";
import type { ObjectiveDescriptor } from "./descriptor.js";
import { regression } from "./regression.js";
import { triplet } from "./triplet.js";
import { multipleNegatives, multipleNegativesNli } from "./multiple-negatives.js";
import { simcse } from "./simcse.js";

/**
 * The objectives a recipe's train-teacher step can name, in the order the schema lists them.
 * Adding one: its file (class and descriptor), its test, and a line here.
 */
export const objectives: readonly ObjectiveDescriptor[] = [
  classification,
  regression,
  triplet,
  simcse,
  multipleNegatives,
  multipleNegativesNli,
];

export function objectiveDescriptor(type: string): ObjectiveDescriptor {
  const descriptor = objectives.find((candidate) => candidate.type === type);
  if (descriptor === undefined) throw new Error(`no objective of type ${type}`);
  return descriptor;
}
