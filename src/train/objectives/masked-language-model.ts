import * as tf from "@tensorflow/tfjs";
import type { TokenBatch } from "../../model/batch.js";
import { SparseRows, uniqueSorted, type EmbeddingTable } from "../../model/embedding.js";
import type { ForwardOptions, Transformer } from "../../model/transformer.js";
import type { Gradients } from "../gradients.js";
import { type MaskedLanguageModelHead, labelledPositions } from "../../losses/masked-language-model-head.js";

/**
 * HF's `BertForMaskedLM`: the encoder and the MLM head, its decoder tied to the word embeddings.
 *
 * The tied decoder reads every row of the table (each row is a softmax class), so its
 * gradient is dense by nature, while the input lookup touches a few rows. A step keeps
 * the two apart: the lookup reads the touched rows as a small `SparseRows` variable (as in
 * every other step), and the decoder reads the table's own block variables, concatenated
 * inside the tape, so that tfjs differentiates it block by block with no `gather`. The two
 * gradients are then added into one gradient over all rows, which is what torch's tied
 * weight receives, and AdamW's row-sparse update over all rows is a dense AdamW step on
 * the table. (Making the whole table one `SparseRows` would be as correct, but tfjs's CPU
 * kernel for the gradient of `gather` loops once per table row: minutes per step.)
 */
export class MaskedLanguageModel {
  constructor(
    readonly transformer: Transformer,
    readonly head: MaskedLanguageModelHead,
  ) {
    if (
      head.config.vocabSize !== transformer.config.vocabSize ||
      head.config.hiddenSize !== transformer.config.hiddenSize
    ) {
      throw new Error("MLM head and encoder disagree on vocabulary or hidden size");
    }
  }

  /** The loss of a masked batch (see `maskSentences` / `maskTranslationPairs`), with no gradient to the table. */
  loss(batch: TokenBatch, labels: Int32Array, options: Omit<ForwardOptions, "sparse"> = {}): tf.Scalar {
    if ("sparse" in options)
      throw new Error(
        "MaskedLanguageModel.loss reads the tied decoder as a constant; train with MaskedLanguageModel.gradients",
      );
    return tf.tidy(() => {
      const hidden = this.transformer.forward(batch, options); // [batch, seq, hidden]
      return this.head.loss(hidden, labels, this.transformer.wordEmbeddings.toTensor());
    });
  }

  /** Loss and gradients of one MLM/TLM step; the word-embedding gradient covers every row. */
  gradients(batch: TokenBatch, labels: Int32Array, options: Omit<ForwardOptions, "sparse"> = {}): Gradients {
    // Refuse bad labels before the tape holds any activation.
    labelledPositions(labels, batch.batchSize * batch.length, this.head.config.vocabSize);
    const table = this.transformer.wordEmbeddings;
    const lookup = new SparseRows(table, uniqueSorted([batch.inputIds]));
    try {
      const parameters = this.trainableParameters();
      const variables = [...parameters.values(), lookup.variable, ...table.blocks];
      const { value, grads } = tf.variableGrads(() => {
        const hidden = this.transformer.forward(batch, { ...options, sparse: new Map([[table, lookup]]) }); // [batch, seq, hidden]
        const decoder = (table.blocks.length === 1 ? table.blocks[0]! : tf.concat(table.blocks, 0)) as tf.Tensor2D; // [vocab, hidden]
        return this.head.loss(hidden, labels, decoder);
      }, variables);
      const dense = new Map<string, tf.Tensor>();
      for (const [name, variable] of parameters) {
        const gradient = grads[variable.name];
        if (gradient) dense.set(name, gradient);
      }
      const words = tf.tidy(() => {
        const blockGradients = table.blocks.map((block) => grads[block.name]!);
        const viaDecoder = blockGradients.length === 1 ? blockGradients[0]! : tf.concat(blockGradients, 0); // [vocab, hidden]
        if (blockGradients.length > 1) tf.dispose(blockGradients); // a whole-table copy fewer at the peak
        const rows = tf.tensor2d(lookup.ids, [lookup.ids.length, 1], "int32");
        const viaLookup = tf.scatterND(rows, grads[lookup.variable.name]!, [table.rows, table.width]); // [vocab, hidden]
        return tf.add(viaDecoder, viaLookup) as tf.Tensor2D;
      });
      tf.dispose([grads[lookup.variable.name]!, ...table.blocks.map((block) => grads[block.name]!)]);
      const ids = new Int32Array(table.rows);
      for (let id = 0; id < table.rows; id++) ids[id] = id;
      return { loss: value, dense, sparse: [{ table, ids, gradient: words }] };
    } finally {
      lookup.dispose();
    }
  }

  /** Encoder and head parameters; their HF names do not overlap (`cls.` only in the head). */
  trainableParameters(): Map<string, tf.Variable> {
    return new Map([...this.transformer.trainableParameters(), ...this.head.trainableParameters()]);
  }

  sparseTables(): EmbeddingTable[] {
    return this.transformer.sparseTables();
  }

  dispose(): void {
    this.transformer.dispose();
    this.head.dispose();
  }
}
