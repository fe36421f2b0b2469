import { poolingList, type PoolingMode } from "../../model/pooling.js";
import type { SentenceEncoder } from "../../model/sentence-encoder.js";
import { GraphBuilder, modelBytes, type OnnxModel } from "./proto.js";
import { encoderInputs, linearNode, sequenceRange, transformerGraph, type EncoderInputs } from "./transformer-graph.js";

const version = "0.1.0";

/**
 * The Transformer module alone, as sentence-transformers' ONNX backend (optimum's
 * `ORTModelForFeatureExtraction`) runs it: token ids in, `last_hidden_state` `[batch, seq, hidden]` out.
 * Serialized whole: a model over protobuf's 2 GiB needs `buildTransformerModel` and external data.
 */
export function transformerModel(encoder: SentenceEncoder): Uint8Array {
  return modelBytes(buildTransformerModel(encoder));
}

/** `transformerModel` before serializing, so that its weights can go to external data. */
export function buildTransformerModel(encoder: SentenceEncoder): OnnxModel {
  const graph = new GraphBuilder();
  const inputs = encoderInputs(graph, encoder.transformer.config);
  // The last node's output gets its public name through an Identity, which onnxruntime removes when it optimizes.
  const hidden = graph.op("Identity", [transformerGraph(graph, encoder.transformer, inputs)], {}, "last_hidden_state");
  graph.output(hidden, "float32", ["batch", "sequence", encoder.transformer.config.hiddenSize]);
  return graph.model("babelbed-transformer", version);
}

/** What the sentence graph reads of an encoder: weights and modules, never the tokenizer. */
export type EncoderGraphParts = Pick<SentenceEncoder, "transformer" | "pooling" | "dense" | "normalize" | "dimension">;

/** The whole pipeline, Transformer → Pooling → Dense → Normalize: `sentence_embedding` `[batch, dimension]`. */
export function sentenceEncoderModel(encoder: EncoderGraphParts): Uint8Array {
  return modelBytes(buildSentenceEncoderModel(encoder));
}

/** `sentenceEncoderModel` before serializing, so that its weights can go to external data. */
export function buildSentenceEncoderModel(encoder: EncoderGraphParts): OnnxModel {
  const graph = new GraphBuilder();
  const inputs = encoderInputs(graph, encoder.transformer.config);
  const hidden = transformerGraph(graph, encoder.transformer, inputs); // [batch, seq, hidden]
  let vectors = poolingNode(graph, hidden, inputs, poolingList(encoder.pooling)); // [batch, hidden * modes]
  encoder.dense.forEach((dense, index) => {
    vectors = linearNode(graph, vectors, `dense.${index}.linear`, dense.weight, dense.bias);
    if (dense.activation === "tanh") vectors = graph.op("Tanh", [vectors]);
  });
  if (encoder.normalize) {
    // x / max(||x||, 1e-12), as torch.nn.functional.normalize.
    const length = graph.op("ReduceL2", [vectors], { axes: [-1], keepdims: 1 });
    vectors = graph.op("Div", [vectors, graph.op("Max", [length, graph.scalar(1e-12)])]);
  }
  graph.output(graph.op("Identity", [vectors], {}, "sentence_embedding"), "float32", ["batch", encoder.dimension]);
  return graph.model("babelbed-sentence-encoder", version);
}

/**
 * Why the sentence graph cannot stand for this encoder, if it cannot: it holds Transformer,
 * Pooling, Dense and Normalize, so a BERT-flow stays on tfjs. Size is no reason: weights over
 * protobuf's 2 GiB go to external data (external-data.ts).
 */
export function sentenceGraphProblem(encoder: EncoderGraphParts & { flow?: unknown }): string | undefined {
  if (encoder.flow !== undefined) return "the model ends in a BERT-flow, which the ONNX graph does not hold";
  return undefined;
}

/** sentence-transformers' Pooling (see model/pooling.ts), each mode `[batch, hidden]`, concatenated in order. */
function poolingNode(graph: GraphBuilder, hidden: string, inputs: EncoderInputs, modes: PoolingMode[]): string {
  const mask = graph.op("Unsqueeze", [
    graph.op("Cast", [inputs.attentionMask], { to: 1 }),
    graph.constant([2], "int64"),
  ]); // [batch, seq, 1]
  const axis = graph.constant([1], "int64");
  const sum = (x: string) => graph.op("ReduceSum", [x, axis], { keepdims: 0 });
  const masked = (weights: string) => sum(graph.op("Mul", [hidden, weights])); // [batch, hidden]
  const count = () => graph.op("Max", [sum(mask), graph.scalar(1e-9)]); // [batch, 1]
  const parts = modes.map((mode) => {
    switch (mode) {
      case "cls":
        return graph.op("Gather", [hidden, graph.scalar(0, "int64")], { axis: 1 });
      case "max": {
        const filled = graph.op("Where", [graph.op("Greater", [mask, graph.scalar(0)]), hidden, graph.scalar(-1e9)]);
        return graph.op("ReduceMax", [filled], { axes: [1], keepdims: 0 });
      }
      case "mean":
        return graph.op("Div", [masked(mask), count()]);
      case "mean_sqrt_len_tokens":
        return graph.op("Div", [masked(mask), graph.op("Sqrt", [count()])]);
      case "weightedmean": {
        const ranks = graph.op("Cast", [sequenceRange(graph, inputs.inputIds, 1)], { to: 1 }); // 1..seq
        const weights = graph.op("Mul", [mask, graph.op("Unsqueeze", [ranks, graph.constant([0, 2], "int64")])]); // [batch, seq, 1]
        return graph.op("Div", [masked(weights), graph.op("Max", [sum(weights), graph.scalar(1e-9)])]);
      }
      case "lasttoken": {
        const positions = graph.op("Unsqueeze", [sequenceRange(graph, inputs.inputIds), graph.constant([0], "int64")]); // [1, seq]
        const last = graph.op("ReduceMax", [graph.op("Mul", [inputs.attentionMask, positions])], {
          axes: [1],
          keepdims: 1,
        }); // [batch, 1]
        const pick = graph.op("Unsqueeze", [
          graph.op("Cast", [graph.op("Equal", [positions, last])], { to: 1 }),
          graph.constant([2], "int64"),
        ]);
        return masked(graph.op("Mul", [pick, mask]));
      }
      default:
        throw new Error(`no ONNX pooling for ${mode satisfies never}`);
    }
  });
  return parts.length === 1 ? parts[0]! : graph.op("Concat", parts, { axis: 1 });
}
