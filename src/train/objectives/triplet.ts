import type * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import { tripletLoss } from "../../losses/triplet.js";
import type { SentenceEncoder } from "../../model/sentence-encoder.js";
import { defineObjective } from "./descriptor.js";
import { TupleObjective } from "./tuple.js";

export interface TripletExample {
  anchor: string;
  positive: string;
  negative: string;
}

/** SBERT's triplet objective: Euclidean distance with margin 1. */
export class TripletObjective extends TupleObjective<TripletExample> {
  constructor(
    encoder: SentenceEncoder,
    examples: TripletExample[],
    readonly margin = 1,
  ) {
    super("triplet", encoder, examples, (example) => [example.anchor, example.positive, example.negative]);
  }

  protected tupleLoss([anchor, positive, negative]: tf.Tensor2D[]): tf.Scalar {
    return tripletLoss(anchor!, positive!, negative!, this.margin);
  }
}

/** `type: triplet`: (anchor, positive, negative) rows, with the recipe's `margin`. */
export const triplet = defineObjective({
  type: "triplet",
  rowKind: "triplets",
  options: { margin: z.number().positive().default(1) },
  texts: (row) => [row.anchor, row.positive, row.negative],
  build: (encoder, rows, options) => new TripletObjective(encoder, rows, options.margin),
});
