import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, describe, test } from "node:test";
import { bertModelParameterNames } from "../src/io/names.js";
import {
  parseSafetensors,
  readSafetensors,
  readSafetensorsHeader,
  serializeSafetensors,
  writeSafetensors,
  type WritableTensor,
} from "../src/io/safetensors.js";
import { fixturesRoot, skipWithoutFixtures } from "./helpers/fixtures.js";
import { assertRejectsWith, assertThrowsWith } from "./helpers/scratch.js";

const fixtures = fixturesRoot;
const needsFixtures = { skip: skipWithoutFixtures };

const scratch = mkdtempSync(path.join(tmpdir(), "babelbed-safetensors-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A file built by hand: header JSON (padded to 8 bytes) followed by raw data bytes. */
function handBuilt(header: unknown, data: Uint8Array, pad = true): Uint8Array {
  const json = Buffer.from(JSON.stringify(header), "utf8");
  const length = pad ? Math.ceil(json.length / 8) * 8 : json.length;
  const out = new Uint8Array(8 + length + data.length).fill(0x20, 8, 8 + length);
  new DataView(out.buffer).setBigUint64(0, BigInt(length), true);
  out.set(json, 8);
  out.set(data, 8 + length);
  return out;
}

function bytesOf(data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

describe("reading the fixtures", needsFixtures, () => {
  test("tiny-bert model.safetensors has every BertModel parameter with HF shapes", async () => {
    const file = path.join(fixtures, "tiny-bert", "model.safetensors");
    const { tensors, metadata } = await readSafetensors(file);
    assert.deepEqual(metadata, { format: "pt" });
    assert.deepEqual([...tensors.keys()].sort(), bertModelParameterNames(2).sort());
    const words = tensors.get("embeddings.word_embeddings.weight")!;
    assert.equal(words.dtype, "F32");
    assert.deepEqual(words.shape, [119547, 32]);
    assert.equal(words.data.length, 119547 * 32);
    assert.deepEqual(tensors.get("encoder.layer.1.intermediate.dense.weight")!.shape, [37, 32]);
    assert.deepEqual(tensors.get("encoder.layer.0.output.dense.weight")!.shape, [32, 37]);
    assert.deepEqual(tensors.get("pooler.dense.bias")!.shape, [32]);
    // Values are the stored bits: compare against the raw file at the header's offsets.
    const raw = readFileSync(file);
    const header = await readSafetensorsHeader(file);
    const entry = header.entries.find((item) => item.name === "embeddings.word_embeddings.weight")!;
    const expected = new Float32Array(
      raw.buffer.slice(raw.byteOffset + header.dataStart + entry.begin, raw.byteOffset + header.dataStart + entry.end),
    );
    assert.deepEqual(bytesOf(words.data), bytesOf(expected));
  });

  test("tiny-bert heads.safetensors holds the objective heads", async () => {
    const { tensors } = await readSafetensors(path.join(fixtures, "tiny-bert", "heads.safetensors"));
    const shapes = Object.fromEntries([...tensors].map(([name, tensor]) => [name, tensor.shape]));
    assert.deepEqual(shapes, {
      "cls.predictions.bias": [119547],
      "cls.predictions.transform.LayerNorm.bias": [32],
      "cls.predictions.transform.LayerNorm.weight": [32],
      "cls.predictions.transform.dense.bias": [32],
      "cls.predictions.transform.dense.weight": [32, 32],
      "softmax_loss.classifier.bias": [3],
      "softmax_loss.classifier.weight": [3, 96],
    });
  });

  test("tiny-bert-uncased has three layers over the uncased vocabulary", async () => {
    const { tensors } = await readSafetensors(path.join(fixtures, "tiny-bert-uncased", "model.safetensors"));
    assert.deepEqual([...tensors.keys()].sort(), bertModelParameterNames(3).sort());
    assert.deepEqual(tensors.get("embeddings.word_embeddings.weight")!.shape, [30522, 24]);
    const heads = await readSafetensors(path.join(fixtures, "tiny-bert-uncased", "heads.safetensors"));
    assert.deepEqual(heads.tensors.get("softmax_loss.classifier.weight")!.shape, [3, 72]);
  });

  test("select decodes only the chosen tensors", async () => {
    const file = path.join(fixtures, "tiny-bert", "model.safetensors");
    const { tensors } = await readSafetensors(file, { select: (name) => name.startsWith("pooler.") });
    assert.deepEqual([...tensors.keys()].sort(), ["pooler.dense.bias", "pooler.dense.weight"]);
  });

  for (const name of [
    "tiny-bert/model.safetensors",
    "tiny-bert/heads.safetensors",
    "tiny-bert-uncased/model.safetensors",
  ]) {
    test(`re-serializing ${name} reproduces its tensor bytes and its header up to key order`, async () => {
      const file = path.join(fixtures, name);
      const original = new Uint8Array(readFileSync(file));
      const { tensors, metadata } = await readSafetensors(file);
      const again = serializeSafetensors(tensors as Map<string, WritableTensor>, metadata);
      assert.equal(again.length, original.length);
      const headerBytes = Number(new DataView(original.buffer, original.byteOffset).getBigUint64(0, true));
      assert.deepEqual(again.subarray(0, 8), original.subarray(0, 8));
      assert.ok(
        Buffer.from(again.subarray(8 + headerBytes)).equals(Buffer.from(original.subarray(8 + headerBytes))),
        "tensor buffer differs",
      );
      // The reference writer puts "__metadata__" first; these fixtures have it last. Moving
      // it is the only change needed for the header bytes to match exactly.
      const ours = JSON.parse(Buffer.from(again.subarray(8, 8 + headerBytes)).toString("utf8")) as Record<
        string,
        unknown
      >;
      assert.equal(Object.keys(ours)[0], "__metadata__");
      const { __metadata__: moved, ...rest } = ours;
      const reordered = Buffer.from(JSON.stringify({ ...rest, __metadata__: moved }).padEnd(headerBytes, " "), "utf8");
      assert.ok(
        reordered.equals(Buffer.from(original.subarray(8, 8 + headerBytes))),
        "header differs beyond the metadata position",
      );
    });
  }
});

describe("writing", () => {
  test("write then read is bit-exact for F32, I32 and I64", async () => {
    const floats = new Float32Array(1000);
    for (let index = 0; index < floats.length; index++) floats[index] = Math.sin(index * 12.9898) * 43758.5453;
    floats.set([0, -0, Infinity, -Infinity, 1e-45, -3.4028234663852886e38], 0);
    new Uint32Array(floats.buffer)[10] = 0x7fc01234; // a NaN payload must survive too
    const tensors = new Map<string, WritableTensor>([
      ["weights.matrix", { shape: [10, 100], data: floats }],
      ["counts", { shape: [3], data: new Int32Array([-7, 0, 2147483647]) }],
      ["position_ids", { shape: [1, 4], data: new BigInt64Array([0n, 1n, -9007199254740993n, 2n ** 62n]) }],
      ["scalar", { shape: [], data: new Float32Array([1.5]) }],
      ["empty", { shape: [0, 4], data: new Float32Array(0) }],
    ]);
    const file = path.join(scratch, "round-trip.safetensors");
    await writeSafetensors(file, tensors, { format: "pt", note: "ünïcode ✓" });
    assert.ok(
      Buffer.from(readFileSync(file)).equals(
        Buffer.from(serializeSafetensors(tensors, { format: "pt", note: "ünïcode ✓" })),
      ),
    );
    const back = await readSafetensors(file);
    assert.deepEqual(back.metadata, { format: "pt", note: "ünïcode ✓" });
    assert.deepEqual([...back.tensors.keys()].sort(), [...tensors.keys()].sort());
    for (const [name, tensor] of tensors) {
      const read = back.tensors.get(name)!;
      assert.deepEqual(read.shape, tensor.shape, name);
      assert.equal(read.data.constructor, tensor.data.constructor, name);
      assert.deepEqual(bytesOf(read.data), bytesOf(tensor.data), name);
    }
    const parsed = parseSafetensors(readFileSync(file), file);
    assert.deepEqual(bytesOf(parsed.tensors.get("weights.matrix")!.data), bytesOf(floats));
  });

  test("output matches the reference writer's bytes", () => {
    const values = new Float32Array([0, 1, 2, 3, 4, 5]);
    const expectFile = (
      tensors: Map<string, WritableTensor>,
      metadata: Record<string, string> | undefined,
      header: string,
      data: Uint8Array,
    ) => {
      const padded = Math.ceil(header.length / 8) * 8;
      const expected = new Uint8Array(8 + padded + data.length).fill(0x20, 8, 8 + padded);
      expected[0] = padded;
      expected.set(Buffer.from(header), 8);
      expected.set(data, 8 + padded);
      assert.deepEqual(serializeSafetensors(tensors, metadata), expected);
    };
    // The cases of the safetensors crate's own serialization tests.
    expectFile(
      new Map([["attn.0", { shape: [1, 2, 3], data: values }]]),
      undefined,
      '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}',
      bytesOf(values),
    );
    expectFile(
      new Map([["attn0", { shape: [1, 1, 2, 3], data: values }]]),
      undefined,
      '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}',
      bytesOf(values),
    );
    expectFile(new Map(), undefined, "{}", new Uint8Array(0));
    expectFile(new Map(), { framework: "pt" }, '{"__metadata__":{"framework":"pt"}}', new Uint8Array(0));
  });

  test("tensors are laid out by descending dtype, then by UTF-8 name", () => {
    const one = (data: WritableTensor["data"]): WritableTensor => ({ shape: [1], data });
    const bytes = serializeSafetensors(
      new Map([
        ["b", one(new Float32Array([1]))],
        ["a", one(new Int32Array([1]))],
        ["\u{1F600}", one(new Float32Array([2]))],
        ["\uE000", one(new Float32Array([3]))],
        ["z", one(new BigInt64Array([1n]))],
      ]),
    );
    const header = parseSafetensors(bytes, "ordered").tensors;
    assert.deepEqual([...header.keys()], ["z", "b", "\uE000", "\u{1F600}", "a"]);
  });

  test("inconsistent input is refused with the tensor's name", () => {
    assertThrowsWith(
      () => serializeSafetensors(new Map([["w", { shape: [2, 3], data: new Float32Array(5) }]])),
      'tensor "w"',
      "6 elements",
    );
    assertThrowsWith(
      () => serializeSafetensors(new Map([["w", { shape: [-1], data: new Float32Array(1) }]])),
      'tensor "w"',
    );
    assertThrowsWith(
      () => serializeSafetensors(new Map([["__metadata__", { shape: [1], data: new Float32Array(1) }]])),
      "__metadata__",
    );
  });
});

describe("half precision", () => {
  test("F16 values decode exactly, including subnormals, infinities and NaN", () => {
    const bits = new Uint16Array([0x3c00, 0xc000, 0x3555, 0x7bff, 0x0001, 0x0400, 0x8000, 0x7c00, 0xfc00, 0x7e00]);
    const file = handBuilt({ h: { dtype: "F16", shape: [2, 5], data_offsets: [0, 20] } }, bytesOf(bits));
    const tensor = parseSafetensors(file, "half.safetensors").tensors.get("h")!;
    assert.equal(tensor.dtype, "F16");
    assert.ok(tensor.data instanceof Float32Array);
    const values = [...tensor.data];
    assert.deepEqual(values.slice(0, 9), [1, -2, 0.333251953125, 65504, 2 ** -24, 2 ** -14, -0, Infinity, -Infinity]);
    assert.ok(Number.isNaN(values[9]));
    assert.ok(Object.is(values[6], -0));
  });

  test("BF16 values decode exactly", () => {
    const bits = new Uint16Array([0x3f80, 0xc040, 0x4049, 0x0001, 0x7f80, 0xff80, 0x8000, 0x7fc0]);
    const file = handBuilt({ b: { dtype: "BF16", shape: [8], data_offsets: [0, 16] } }, bytesOf(bits));
    const values = [...parseSafetensors(file, "bf16.safetensors").tensors.get("b")!.data] as number[];
    assert.deepEqual(values.slice(0, 7), [1, -3, 3.140625, 2 ** -133, Infinity, -Infinity, -0]);
    assert.ok(Number.isNaN(values[7]));
  });

  test("an unaligned header and mixed dtypes still decode", () => {
    const data = new Uint8Array([
      ...bytesOf(new Uint16Array([0x3c00])),
      ...bytesOf(new Int32Array([-5])),
      ...bytesOf(new BigInt64Array([7n])),
    ]);
    const header = {
      __metadata__: { source: "hand" },
      half: { dtype: "F16", shape: [1], data_offsets: [0, 2] },
      int: { dtype: "I32", shape: [1], data_offsets: [2, 6] },
      long: { dtype: "I64", shape: [1], data_offsets: [6, 14] },
    };
    const { tensors, metadata } = parseSafetensors(handBuilt(header, data, false), "odd.safetensors");
    assert.deepEqual(metadata, { source: "hand" });
    assert.deepEqual([...tensors.get("half")!.data], [1]);
    assert.deepEqual([...tensors.get("int")!.data], [-5]);
    assert.deepEqual([...tensors.get("long")!.data], [7n]);
  });
});

describe("corrupt files", () => {
  const good = handBuilt(
    { a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [2], data_offsets: [8, 16] } },
    new Uint8Array(16),
  );
  const tensor = (dtype: string, shape: number[], offsets: number[]) => ({ dtype, shape, data_offsets: offsets });

  test("short, truncated and oversized files", () => {
    parseSafetensors(good, "good.safetensors");
    assertThrowsWith(() => parseSafetensors(new Uint8Array(5), "tiny.safetensors"), "tiny.safetensors", "too short");
    assertThrowsWith(
      () => parseSafetensors(good.subarray(0, good.length - 4), "cut.safetensors"),
      "cut.safetensors",
      'tensor "b"',
      "truncated",
    );
    assertThrowsWith(
      () => parseSafetensors(good.subarray(0, 20), "cut.safetensors"),
      "cut.safetensors",
      "runs past the end",
    );
    const huge = good.slice();
    new DataView(huge.buffer).setBigUint64(0, 2n ** 40n, true);
    assertThrowsWith(() => parseSafetensors(huge, "huge.safetensors"), "huge.safetensors", "exceeds");
    assertThrowsWith(
      () => parseSafetensors(new Uint8Array([...good, 1, 2, 3]), "tail.safetensors"),
      "tail.safetensors",
      "trailing",
    );
  });

  test("bad header JSON", () => {
    const broken = good.slice();
    broken[8] = "[".charCodeAt(0);
    assertThrowsWith(() => parseSafetensors(broken, "bad.safetensors"), "bad.safetensors", "not valid JSON");
    assertThrowsWith(
      () => parseSafetensors(handBuilt([1, 2], new Uint8Array(0)), "list.safetensors"),
      "must be a JSON object",
    );
    const invalidUtf8 = good.slice();
    invalidUtf8[10] = 0xff;
    assertThrowsWith(() => parseSafetensors(invalidUtf8, "bytes.safetensors"), "bytes.safetensors", "UTF-8");
    assertThrowsWith(
      () => parseSafetensors(handBuilt({ __metadata__: { n: 1 } }, new Uint8Array(0)), "meta.safetensors"),
      '"__metadata__" field "n"',
    );
  });

  test("offsets out of range, overlapping or leaving gaps", () => {
    const build = (header: object, size: number) => handBuilt(header, new Uint8Array(size));
    assertThrowsWith(
      () => parseSafetensors(build({ w: tensor("F32", [100], [0, 400]) }, 16), "range.safetensors"),
      "range.safetensors",
      'tensor "w"',
      "[0, 400]",
    );
    assertThrowsWith(
      () =>
        parseSafetensors(
          build({ a: tensor("F32", [2], [0, 8]), b: tensor("F32", [2], [4, 12]) }, 12),
          "overlap.safetensors",
        ),
      'tensor "b"',
      "overlaps",
    );
    assertThrowsWith(
      () =>
        parseSafetensors(
          build({ a: tensor("F32", [2], [0, 8]), b: tensor("F32", [2], [12, 20]) }, 20),
          "gap.safetensors",
        ),
      'tensor "b"',
      "gap",
    );
    assertThrowsWith(
      () => parseSafetensors(build({ w: tensor("F32", [3], [0, 8]) }, 8), "size.safetensors"),
      'tensor "w"',
      "needs 12 bytes",
    );
    assertThrowsWith(
      () => parseSafetensors(build({ w: tensor("F32", [2], [8, 0]) }, 8), "reversed.safetensors"),
      'tensor "w"',
      "data_offsets",
    );
    assertThrowsWith(
      () => parseSafetensors(build({ w: tensor("F32", [2.5], [0, 8]) }, 8), "shape.safetensors"),
      'tensor "w"',
      "shape",
    );
  });

  test("unknown and unsupported dtypes", () => {
    assertThrowsWith(
      () => parseSafetensors(handBuilt({ q: tensor("Q7", [1], [0, 1]) }, new Uint8Array(1)), "q.safetensors"),
      'tensor "q"',
      "unknown dtype",
    );
    const double = handBuilt({ d: tensor("F64", [1], [0, 8]), f: tensor("F32", [1], [8, 12]) }, new Uint8Array(12));
    assertThrowsWith(
      () => parseSafetensors(double, "f64.safetensors"),
      "f64.safetensors",
      'tensor "d"',
      "F64 is not supported",
    );
    // Skipping the unsupported tensor reads the rest.
    assert.deepEqual(
      [...parseSafetensors(double, "f64.safetensors", { select: (name) => name === "f" }).tensors.keys()],
      ["f"],
    );
  });

  test("errors from files on disk name the path", async () => {
    const missing = path.join(scratch, "missing.safetensors");
    await assertRejectsWith(() => readSafetensors(missing), missing, "ENOENT");
    const cut = path.join(scratch, "cut.safetensors");
    writeFileSync(cut, good.subarray(0, good.length - 1));
    await assertRejectsWith(() => readSafetensors(cut), cut, 'tensor "b"');
    await assertRejectsWith(() => readSafetensorsHeader(cut), cut);
  });
});
