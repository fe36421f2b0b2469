import * as tf from "@tensorflow/tfjs";
import { SparseRows, uniqueSorted, type EmbeddingTable, type SparseLookup } from "../model/embedding.js";

/** What a model offers a trainer: dense variables by name, and row-sparse tables. */
export interface Trainable {
  trainableParameters(): Map<string, tf.Variable>;
  sparseTables(): EmbeddingTable[];
}

/** The gradient of the rows of one table that a step touched. */
export interface RowGradient {
  table: EmbeddingTable;
  ids: Int32Array; // sorted, unique
  gradient: tf.Tensor2D; // [ids.length, width]
}

export interface Gradients {
  loss: tf.Scalar;
  dense: Map<string, tf.Tensor>;
  sparse: RowGradient[];
}

/**
 * Loss and gradients of one step. The rows of each sparse table that `ids` names
 * become a temporary variable, so their gradient is `[touched, width]`, never the
 * whole table. Parameters the loss does not reach get no entry.
 */
export function computeGradients(
  model: Trainable,
  ids: Map<EmbeddingTable, ArrayLike<number>[]>,
  loss: (sparse: SparseLookup) => tf.Scalar,
): Gradients {
  const sparse: SparseLookup = new Map();
  for (const [table, arrays] of ids) sparse.set(table, new SparseRows(table, uniqueSorted(arrays)));
  try {
    const parameters = model.trainableParameters();
    const variables = [...parameters.values(), ...[...sparse.values()].map((rows) => rows.variable)];
    const { value, grads } = tf.variableGrads(() => loss(sparse), variables);
    const dense = new Map<string, tf.Tensor>();
    for (const [name, variable] of parameters) {
      const gradient = grads[variable.name];
      if (gradient !== undefined) dense.set(name, gradient);
    }
    const rows: RowGradient[] = [];
    for (const [table, prepared] of sparse) {
      const gradient = grads[prepared.variable.name];
      if (gradient !== undefined) rows.push({ table, ids: prepared.ids, gradient: gradient as tf.Tensor2D });
    }
    return { loss: value, dense, sparse: rows };
  } finally {
    for (const rows of sparse.values()) rows.dispose();
  }
}

/** Add `more` into `total` (gradient accumulation); both are consumed into the result. */
export function addGradients(total: Gradients | undefined, more: Gradients): Gradients {
  if (total === undefined) return more;
  const dense = new Map<string, tf.Tensor>();
  for (const name of new Set([...total.dense.keys(), ...more.dense.keys()])) {
    const a = total.dense.get(name);
    const b = more.dense.get(name);
    dense.set(name, a && b ? tf.tidy(() => tf.add(a, b)) : (a ?? b)!);
    if (a && b) {
      a.dispose();
      b.dispose();
    }
  }
  const sparse = [...total.sparse];
  for (const gradient of more.sparse) {
    const index = sparse.findIndex((existing) => existing.table === gradient.table);
    if (index < 0) sparse.push(gradient);
    else sparse[index] = mergeRows(sparse[index]!, gradient);
  }
  const loss = tf.tidy(() => tf.add(total.loss, more.loss)) as tf.Scalar;
  total.loss.dispose();
  more.loss.dispose();
  return { loss, dense, sparse };
}

/** Sum two row gradients of the same table over the union of their ids. */
function mergeRows(a: RowGradient, b: RowGradient): RowGradient {
  const ids = uniqueSorted([a.ids, b.ids]);
  const position = new Map<number, number>();
  ids.forEach((id, index) => {
    position.set(id, index);
  });
  const gradient = tf.tidy(() => {
    const place = (rows: RowGradient) =>
      tf.scatterND(
        tf.tensor2d(
          Array.from(rows.ids, (id) => position.get(id)!),
          [rows.ids.length, 1],
          "int32",
        ),
        rows.gradient,
        [ids.length, a.table.width],
      );
    return tf.add(place(a), place(b)) as tf.Tensor2D;
  });
  a.gradient.dispose();
  b.gradient.dispose();
  return { table: a.table, ids, gradient };
}

export function disposeGradients(gradients: Gradients): void {
  gradients.loss.dispose();
  for (const tensor of gradients.dense.values()) tensor.dispose();
  for (const rows of gradients.sparse) rows.gradient.dispose();
}
