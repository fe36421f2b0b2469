import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

/** LayerNormalization arrived in opset 17; reductions other than ReduceSum still take `axes` as an attribute there. */
export const opsetVersion = 17;
/** The IR version that goes with opset 17 (ONNX 1.12). */
const irVersion = 8;

export type ElementType = "float32" | "int64" | "bool";

const dataTypes: Record<ElementType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

/** Numbers are INT attributes (axes, flags, types); a float one (epsilon) says so, so that 1.0 stays a float. */
type AttributeValue = number | number[] | string | { float: number };

/** A dimension: a fixed size, or a name that ties dynamic sizes together (`batch`, `sequence`). */
export type Dimension = number | string;

/**
 * Writes an ONNX graph node by node. Values are named `prefix/n` in the order they are made,
 * so a graph built twice from the same model is byte-identical.
 */
export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly constants = new Map<string, string>();
  private counter = 0;

  /** A fresh value name under `scope`, e.g. `layer.0/attention/7`. */
  name(scope: string): string {
    return `${scope}/${this.counter++}`;
  }

  input(name: string, type: ElementType, shape: Dimension[]): string {
    this.inputs.push(valueInfo(name, type, shape));
    return name;
  }

  output(name: string, type: ElementType, shape: Dimension[]): void {
    this.outputs.push(valueInfo(name, type, shape));
  }

  /** One node with one output; returns the output's name (`output` when given). */
  op(type: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, output?: string): string {
    const name = output ?? this.name(type);
    this.nodes.push({
      opType: type,
      name: `${type}:${name}`,
      input: inputs,
      output: [name],
      attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
    });
    return name;
  }

  /** A named weight stored in the model. */
  initializer(name: string, values: Float32Array | BigInt64Array, shape: number[]): string {
    const type: ElementType = values instanceof Float32Array ? "float32" : "int64";
    this.initializers.push({
      name,
      dataType: dataTypes[type],
      dims: shape,
      // Little-endian raw bytes, as ONNX stores raw_data on every platform; typed arrays are little-endian on all Node targets.
      rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
    });
    return name;
  }

  /** A small constant, stored once however often it is asked for. */
  constant(values: number[], type: "float32" | "int64" = "float32", shape: number[] = [values.length]): string {
    const key = `${type}:${shape.join("x")}:${values.join(",")}`;
    const known = this.constants.get(key);
    if (known !== undefined) return known;
    const array =
      type === "float32" ? Float32Array.from(values) : BigInt64Array.from(values.map((value) => BigInt(value)));
    const name = this.initializer(`constant/${this.constants.size}`, array, shape);
    this.constants.set(key, name);
    return name;
  }

  scalar(value: number, type: "float32" | "int64" = "float32"): string {
    return this.constant([value], type, []);
  }

  /** The ModelProto, weights as raw data: serialize it whole (`modelBytes`) or with external data (external-data.ts). */
  model(graphName: string, producerVersion: string): OnnxModel {
    return {
      irVersion,
      producerName: "babelbed",
      producerVersion,
      opsetImport: [{ domain: "", version: opsetVersion }],
      graph: {
        name: graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    };
  }
}

/** A built model; its initializers hold their weights in `rawData`. */
export type OnnxModel = onnxProto.onnx.IModelProto;

/** The serialized ModelProto, every weight inside: protobuf cannot hold one over 2 GiB (see `protobufLimit`). */
export function modelBytes(model: OnnxModel): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

function valueInfo(name: string, type: ElementType, shape: Dimension[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: dataTypes[type],
        shape: {
          dim: shape.map((dimension) =>
            typeof dimension === "number" ? { dimValue: dimension } : { dimParam: dimension },
          ),
        },
      },
    },
  };
}

function attribute(name: string, value: AttributeValue): onnxProto.onnx.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if (typeof value === "string") return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  if (typeof value === "object") return { name, type: AttributeType.FLOAT, f: value.float };
  return { name, type: AttributeType.INT, i: value };
}
