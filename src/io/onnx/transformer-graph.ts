import type * as tf from "@tensorflow/tfjs";
import { positionPadding, type TransformerConfig } from "../../model/config.js";
import { relativePositionBucket } from "../../model/mpnet.js";
import type { Transformer } from "../../model/transformer.js";
import type { GraphBuilder } from "./proto.js";

/** float32's lowest value, added to padding positions' scores as the tfjs model (and HF) does. */
const MASKED = -3.4028234663852886e38;

/** The graph inputs of an encoder, named as Hugging Face's tokenizers and optimum's exports name them. */
export interface EncoderInputs {
  inputIds: string; // int64 [batch, sequence]
  attentionMask: string; // int64 [batch, sequence]
  /** Only for BERT: the (XLM-)RoBERTa, MPNet and DistilBERT tokenizers give no token types. */
  tokenTypeIds?: string;
}

/** Whether the exported graph takes `token_type_ids`: as optimum's export of each architecture does. */
export function takesTokenTypes(config: TransformerConfig): boolean {
  return config.modelType === "bert";
}

export function encoderInputs(graph: GraphBuilder, config: TransformerConfig): EncoderInputs {
  const shape = ["batch", "sequence"];
  return {
    inputIds: graph.input("input_ids", "int64", shape),
    attentionMask: graph.input("attention_mask", "int64", shape),
    tokenTypeIds: takesTokenTypes(config) ? graph.input("token_type_ids", "int64", shape) : undefined,
  };
}

/** A tensor's values, read once from the backend. */
function values(tensor: tf.Tensor): Float32Array {
  return tensor.dataSync() as Float32Array;
}

/** `[out, in]` (PyTorch's Linear layout) to `[in, out]`, so the graph multiplies without a Transpose node. */
export function transposed(weight: Float32Array, out: number, input: number): Float32Array {
  const result = new Float32Array(weight.length);
  for (let row = 0; row < out; row++)
    for (let column = 0; column < input; column++) result[column * out + row] = weight[row * input + column]!;
  return result;
}

/** `x W^T + b` for a Linear weight `[out, in]` named `name`. */
export function linearNode(graph: GraphBuilder, x: string, name: string, weight: tf.Tensor, bias?: tf.Tensor): string {
  const [out, input] = weight.shape as [number, number];
  const product = graph.op("MatMul", [
    x,
    graph.initializer(`${name}.weight`, transposed(values(weight), out, input), [input, out]),
  ]);
  return bias === undefined
    ? product
    : graph.op("Add", [product, graph.initializer(`${name}.bias`, values(bias), [out])]);
}

/** The exact (erf) GELU, `0.5 x (1 + erf(x / √2))`, in the tfjs model's order of operations. */
function gelu(graph: GraphBuilder, x: string): string {
  const half = graph.op("Mul", [x, graph.scalar(0.5)]);
  const erf = graph.op("Erf", [graph.op("Mul", [x, graph.scalar(Math.SQRT1_2)])]);
  return graph.op("Mul", [half, graph.op("Add", [graph.scalar(1), erf])]);
}

/**
 * The transformer's last hidden state `[batch, sequence, hidden]` from current weights: the
 * same computation as `Transformer.forward` without dropout (see transformer.ts for the math).
 */
export function transformerGraph(graph: GraphBuilder, transformer: Transformer, inputs: EncoderInputs): string {
  const { config, parameters } = transformer;
  const weight = (name: string) => parameters.get(name)!;
  const norm = (x: string, name: string) =>
    graph.op(
      "LayerNormalization",
      [
        x,
        graph.initializer(`${name}.weight`, values(weight(`${name}.weight`)), [config.hiddenSize]),
        graph.initializer(`${name}.bias`, values(weight(`${name}.bias`)), [config.hiddenSize]),
      ],
      { axis: -1, epsilon: { float: config.layerNormEps } },
    );
  const linear = (x: string, name: string) =>
    linearNode(graph, x, name, weight(`${name}.weight`), weight(`${name}.bias`));

  // Embeddings: word + position (+ token type), then LayerNorm.
  const table = transformer.wordEmbeddings.toTensor();
  const words = graph.initializer("embeddings.word_embeddings.weight", values(table), table.shape);
  table.dispose();
  let x = graph.op("Gather", [words, inputs.inputIds]); // [batch, seq, hidden]
  const positionTable = weight("embeddings.position_embeddings.weight");
  const positionRows = graph.initializer(
    "embeddings.position_embeddings.weight",
    values(positionTable),
    positionTable.shape,
  );
  x = graph.op("Add", [x, graph.op("Gather", [positionRows, positionIds(graph, config, inputs.inputIds)])]);
  const typeTable = parameters.get("embeddings.token_type_embeddings.weight");
  if (typeTable !== undefined) {
    const typeRows = graph.initializer("embeddings.token_type_embeddings.weight", values(typeTable), typeTable.shape);
    // Without a token_type_ids input every token is of type 0, as the tokenizers of those models give.
    const types =
      inputs.tokenTypeIds === undefined
        ? graph.op("Gather", [typeRows, graph.scalar(0, "int64")])
        : graph.op("Gather", [typeRows, inputs.tokenTypeIds]);
    x = graph.op("Add", [x, types]);
  }
  x = norm(x, "embeddings.LayerNorm");

  const scoreBias = attentionBias(graph, transformer, inputs); // [batch, 1, 1, seq], or [batch, heads, seq, seq] with MPNet's bias
  const heads = config.numAttentionHeads;
  const headSize = config.hiddenSize / heads;
  const split = graph.constant([0, 0, heads, headSize], "int64");
  const merge = graph.constant([0, 0, config.hiddenSize], "int64");
  for (let layer = 0; layer < config.numHiddenLayers; layer++) {
    const names = transformer.architecture.block(layer);
    const toHeads = (t: string, perm: number[]) => graph.op("Transpose", [graph.op("Reshape", [t, split])], { perm });
    const query = toHeads(linear(x, names.query), [0, 2, 1, 3]); // [batch, heads, seq, head]
    const keyT = toHeads(linear(x, names.key), [0, 2, 3, 1]); // [batch, heads, head, seq]
    const value = toHeads(linear(x, names.value), [0, 2, 1, 3]); // [batch, heads, seq, head]
    const scaled = graph.op("Div", [graph.op("MatMul", [query, keyT]), graph.scalar(Math.sqrt(headSize))]);
    const probabilities = graph.op("Softmax", [graph.op("Add", [scaled, scoreBias])], { axis: -1 }); // [batch, heads, seq, seq]
    const context = graph.op("Reshape", [
      graph.op("Transpose", [graph.op("MatMul", [probabilities, value])], { perm: [0, 2, 1, 3] }),
      merge,
    ]); // [batch, seq, hidden]
    x = norm(graph.op("Add", [x, linear(context, names.attentionOutput)]), names.attentionNorm);
    const inner = gelu(graph, linear(x, names.intermediate)); // [batch, seq, intermediate]
    x = norm(graph.op("Add", [x, linear(inner, names.output)]), names.outputNorm);
  }
  return x;
}

/** `[seq]` for BERT-style models (0, 1, ...), `[batch, seq]` for RoBERTa-style ones (see `positionIds` in config.ts). */
function positionIds(graph: GraphBuilder, config: TransformerConfig, inputIds: string): string {
  const padding = positionPadding(config);
  if (padding === undefined) return sequenceRange(graph, inputIds);
  const real = graph.op("Cast", [graph.op("Not", [graph.op("Equal", [inputIds, graph.scalar(padding, "int64")])])], {
    to: 7,
  }); // int64 [batch, seq]
  const counted = graph.op("Mul", [graph.op("CumSum", [real, graph.scalar(1, "int64")]), real]);
  return graph.op("Add", [counted, graph.scalar(padding, "int64")]);
}

/** 0, 1, ..., seq - 1 as int64 `[seq]`. */
export function sequenceRange(graph: GraphBuilder, inputIds: string, start = 0): string {
  const length = graph.op("Gather", [graph.op("Shape", [inputIds]), graph.scalar(1, "int64")]);
  const end = start === 0 ? length : graph.op("Add", [length, graph.scalar(start, "int64")]);
  return graph.op("Range", [graph.scalar(start, "int64"), end, graph.scalar(1, "int64")]);
}

/** What every layer adds to its scores: padding masked out, plus MPNet's relative position bias. */
function attentionBias(graph: GraphBuilder, transformer: Transformer, inputs: EncoderInputs): string {
  const mask = graph.op("Cast", [inputs.attentionMask], { to: 1 }); // float [batch, seq]
  const masked = graph.op("Mul", [graph.op("Sub", [graph.scalar(1), mask]), graph.scalar(MASKED)]);
  const padding = graph.op("Unsqueeze", [masked, graph.constant([1, 2], "int64")]); // [batch, 1, 1, seq]
  const table = transformer.parameters.get("encoder.relative_attention_bias.weight");
  if (table === undefined) return padding;
  // A bucket for every distance key - query the positions allow, looked up by distance + (span - 1).
  const span = transformer.config.maxPositionEmbeddings;
  const buckets = BigInt64Array.from({ length: 2 * span - 1 }, (_, index) =>
    BigInt(relativePositionBucket(index - (span - 1))),
  );
  const positions = sequenceRange(graph, inputs.inputIds);
  const relative = graph.op("Sub", [
    graph.op("Unsqueeze", [positions, graph.constant([0], "int64")]),
    graph.op("Unsqueeze", [positions, graph.constant([1], "int64")]),
  ]); // [seq, seq]
  const bucket = graph.op("Gather", [
    graph.initializer("relative_buckets", buckets, [buckets.length]),
    graph.op("Add", [relative, graph.scalar(span - 1, "int64")]),
  ]);
  const biasRows = graph.initializer("encoder.relative_attention_bias.weight", values(table), table.shape);
  const perHead = graph.op("Transpose", [graph.op("Gather", [biasRows, bucket])], { perm: [2, 0, 1] }); // [heads, seq, seq]
  const relativeBias = graph.op("Unsqueeze", [perHead, graph.constant([0], "int64")]); // [1, heads, seq, seq]
  return graph.op("Add", [relativeBias, padding]); // [batch, heads, seq, seq]
}
