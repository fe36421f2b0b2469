import type { z } from "zod";
import type { RowOfKind } from "../../data/rows.js";
import type { RowKind } from "../../data/source.js";
import type { SentenceEncoder } from "../../model/sentence-encoder.js";
import type { TrainingObjective } from "./objective.js";

/** What a built objective may need besides its rows and options. */
export interface ObjectiveBuildContext {
  /** The recipe's seed; a head's initial weights come from it. */
  seed: number;
  /** The objective's place in the step's list, so that two heads start from different weights. */
  position: number;
}

/**
 * One recipe objective (`objectives: [{type, data, ...options}]` of a train-teacher step):
 * which rows it reads, which of their fields are text (for the vocabulary of a fresh model),
 * the extra recipe fields it takes, and how it becomes a `TrainingObjective`.
 * Scored pairs reach `build` with their scores already mapped onto [0, 1] (`scoreRange`).
 */
export interface ObjectiveDescriptor<Kind extends RowKind = RowKind, Options extends z.ZodRawShape = z.ZodRawShape> {
  /** The recipe's `type`. */
  readonly type: string;
  readonly rowKind: Kind;
  /** The fields besides `type` and `data`, with their defaults; `{}` when there are none. */
  readonly options: Options;
  texts(row: RowOfKind[Kind]): string[];
  build(
    encoder: SentenceEncoder,
    rows: RowOfKind[Kind][],
    options: z.infer<z.ZodObject<Options>>,
    context: ObjectiveBuildContext,
  ): TrainingObjective;
}

/** Declares a descriptor with its row and option types checked, then erases them for the registry. */
export function defineObjective<Kind extends RowKind, Options extends z.ZodRawShape>(
  descriptor: ObjectiveDescriptor<Kind, Options>,
): ObjectiveDescriptor {
  return descriptor as unknown as ObjectiveDescriptor;
}
