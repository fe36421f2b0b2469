import { promises as fs } from "node:fs";
import * as path from "node:path";
import onnxProto from "onnx-proto";
import { BabelbedError } from "../../util/errors.js";
import { openAtomicWriter, writeError, writeFileAtomic } from "../../util/files.js";
import { modelBytes, type OnnxModel } from "./proto.js";

const { onnx } = onnxProto;

/**
 * protobuf cannot serialize a message over 2 GiB, so a model with more weights than this keeps
 * them in an external data file (XLM-R large, 560M parameters, is past it; base models are well
 * inside). The 64 MiB below 2 GiB leave room for the graph itself.
 */
export const protobufLimit = 2 ** 31 - 64 * 2 ** 20;

/** Smaller tensors (scalars, shapes, small biases) stay inside the model, as onnx's own converter keeps them. */
const inlineBelow = 1024;

/**
 * Where a tensor may start in the data file. ONNX's IR asks for page-aligned offsets so that a
 * runtime can map the weights instead of copying them; large tensors go on 64 KiB, the mapping
 * granularity of Windows, so that they map there too.
 */
function alignment(length: number): number {
  return length >= 2 ** 20 ? 2 ** 16 : 2 ** 12;
}

/** The data file beside `model.onnx`: `model.onnx_data`, the name torch.onnx and optimum give it. */
export function externalDataFile(modelFile: string): string {
  return `${modelFile}_data`;
}

/** Bytes of weights in the model's initializers. */
export function weightBytes(model: OnnxModel): number {
  let total = 0;
  for (const tensor of model.graph?.initializer ?? []) total += tensor.rawData?.byteLength ?? 0;
  return total;
}

/**
 * Whether the model's weights go to an external data file: above `externalDataAbove` bytes, and
 * always above protobuf's limit, whatever the caller asked.
 */
export function needsExternalData(model: OnnxModel, externalDataAbove = protobufLimit): boolean {
  if (!(externalDataAbove >= 0)) throw new BabelbedError(`externalDataAbove: ${externalDataAbove} is no byte count`);
  return weightBytes(model) > Math.min(externalDataAbove, protobufLimit);
}

/** What `writeOnnxModel` wrote: the model, and its external data file when it has one. */
export interface OnnxFiles {
  model: string;
  data?: string;
}

/**
 * Writes `model` to `file`, each file atomically. Within `externalDataAbove` bytes of weights it
 * is one self-contained file, and an external data file an earlier, larger model left beside it
 * is removed; above, the weights go to `<file>_data` (ONNX external data, offsets relative to
 * the model's folder, where onnxruntime and onnx look for it).
 */
export async function writeOnnxModel(
  model: OnnxModel,
  file: string,
  externalDataAbove = protobufLimit,
): Promise<OnnxFiles> {
  const data = externalDataFile(file);
  if (!needsExternalData(model, externalDataAbove)) {
    await writeFileAtomic(file, modelBytes(model));
    // Removed only after the new model is in place: until then the old one may still read it.
    await fs.rm(data, { force: true }).catch((error: unknown) => {
      throw writeError(data, error);
    });
    return { model: file };
  }
  const placed = layout(model);
  // The data first, so that no model on disk points into a data file not yet there; two files cannot be replaced
  // in one step, which is why exports write into a fresh folder.
  await writeData(data, placed);
  await writeFileAtomic(file, modelBytes(pointingInto(model, path.basename(data), placed)));
  return { model: file, data };
}

interface Placed {
  bytes: Uint8Array;
  offset: number;
}

/** Each initializer's place in the data file, in the graph's order; undefined for small ones (they stay inline). */
function layout(model: OnnxModel): (Placed | undefined)[] {
  let end = 0;
  return (model.graph?.initializer ?? []).map((tensor) => {
    const bytes = tensor.rawData;
    if (bytes === null || bytes === undefined || bytes.byteLength < inlineBelow) return undefined;
    const step = alignment(bytes.byteLength);
    const offset = Math.ceil(end / step) * step;
    end = offset + bytes.byteLength;
    return { bytes, offset };
  });
}

/** Streams the tensors into the data file one by one, zeros between them, so no buffer holds them all. */
async function writeData(file: string, placed: (Placed | undefined)[]): Promise<void> {
  const writer = await openAtomicWriter(file);
  try {
    let position = 0;
    for (const place of placed) {
      if (place === undefined) continue;
      const { bytes, offset } = place;
      if (offset > position) await writer.write(new Uint8Array(offset - position));
      await writer.write(bytes);
      position = offset + bytes.byteLength;
    }
  } catch (error) {
    await writer.abort();
    throw writeError(file, error);
  }
  await writer.commit();
}

/** The model with each placed initializer's raw data replaced by its location, offset and length in `location`. */
function pointingInto(model: OnnxModel, location: string, placed: (Placed | undefined)[]): OnnxModel {
  const initializer = (model.graph?.initializer ?? []).map((tensor, index) => {
    const place = placed[index];
    if (place === undefined) return tensor;
    const { rawData: _inFile, ...rest } = tensor;
    return {
      ...rest,
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: "location", value: location },
        { key: "offset", value: String(place.offset) },
        { key: "length", value: String(place.bytes.byteLength) },
      ],
    };
  });
  return { ...model, graph: { ...model.graph, initializer } };
}
