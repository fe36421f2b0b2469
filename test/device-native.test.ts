import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { selectDevice } from "../src/device/index.js";
import { BabelbedError } from "../src/util/errors.js";

/*
 * tfjs-node cannot be installed here, so these tests stand in a package that
 * does what tfjs-node-gpu's entry point does: register a "tensorflow" backend
 * exposing isGPUPackage / isUsingGpuDevice / binding.TF_Version, and make it
 * current. The backend object is a js backend instance, but no kernels are
 * registered for "tensorflow", so no ops run on it: only selection is tested.
 */
function fakeLoader(packages: Record<string, { gpu: boolean; isGPUPackage: boolean } | Error>) {
  const loaded: string[] = [];
  const importModule = async (specifier: string): Promise<unknown> => {
    const entry = packages[specifier];
    if (entry === undefined) {
      throw Object.assign(new Error(`Cannot find package '${specifier}' imported from /app/index.js`), {
        code: "ERR_MODULE_NOT_FOUND",
      });
    }
    if (entry instanceof Error) throw entry;
    loaded.push(specifier);
    const cpuFactory = tf.findBackendFactory("cpu") as () => tf.KernelBackend;
    tf.registerBackend("tensorflow", () =>
      Object.assign(cpuFactory(), {
        isGPUPackage: entry.isGPUPackage,
        isUsingGpuDevice: entry.gpu,
        binding: { TF_Version: "2.9.1" },
      }),
    );
    void tf.setBackend("tensorflow");
    return { version: { "tfjs-node": "4.22.0" } };
  };
  return { importModule, loaded };
}

const cacheBefore = process.env.CUDA_CACHE_MAXSIZE;

afterEach(async () => {
  if (tf.findBackendFactory("tensorflow") !== null) tf.removeBackend("tensorflow");
  if (cacheBefore === undefined) delete process.env.CUDA_CACHE_MAXSIZE;
  else process.env.CUDA_CACHE_MAXSIZE = cacheBefore;
  await tf.setBackend("cpu");
});

test("gpu: loads tfjs-node-gpu after enlarging the CUDA JIT cache, and checks TensorFlow sees a GPU", async () => {
  delete process.env.CUDA_CACHE_MAXSIZE;
  const { importModule, loaded } = fakeLoader({ "@tensorflow/tfjs-node-gpu": { gpu: true, isGPUPackage: true } });
  const lines: string[] = [];
  const info = await selectDevice("gpu", { importModule, log: (line) => lines.push(line) });
  assert.deepEqual(loaded, ["@tensorflow/tfjs-node-gpu"]);
  assert.equal(info.device, "gpu");
  assert.equal(info.backend, "tensorflow");
  assert.equal(info.threads, null);
  assert.equal(info.versions["@tensorflow/tfjs-node-gpu"], "4.22.0");
  assert.equal(info.versions.tensorflow, "2.9.1");
  assert.equal(process.env.CUDA_CACHE_MAXSIZE, "4294967296");
  assert.ok(
    lines.some((line) => line.startsWith("device: set CUDA_CACHE_MAXSIZE=4294967296 before loading tfjs-node-gpu")),
  );
});

test("gpu: an existing CUDA_CACHE_MAXSIZE is respected", async () => {
  process.env.CUDA_CACHE_MAXSIZE = "1073741824";
  const { importModule } = fakeLoader({ "@tensorflow/tfjs-node-gpu": { gpu: true, isGPUPackage: true } });
  const lines: string[] = [];
  await selectDevice("gpu", { importModule, log: (line) => lines.push(line) });
  assert.equal(process.env.CUDA_CACHE_MAXSIZE, "1073741824");
  assert.ok(!lines.some((line) => line.includes("CUDA_CACHE_MAXSIZE")));
});

test("gpu: tfjs-node-gpu without a visible GPU is refused, and the earlier backend stays", async () => {
  const { importModule } = fakeLoader({ "@tensorflow/tfjs-node-gpu": { gpu: false, isGPUPackage: true } });
  await assert.rejects(selectDevice("gpu", { importModule }), (error: unknown) => {
    assert.ok(error instanceof BabelbedError);
    assert.match(error.message, /tfjs-node-gpu: loaded, but TensorFlow found no GPU \(check nvidia-smi/);
    return true;
  });
  assert.equal(tf.getBackend(), "cpu");
});

test("auto: without a GPU, tfjs-node-gpu's TensorFlow serves as the native cpu device", async () => {
  const { importModule, loaded } = fakeLoader({ "@tensorflow/tfjs-node-gpu": { gpu: false, isGPUPackage: true } });
  const lines: string[] = [];
  const info = await selectDevice("auto", { importModule, log: (line) => lines.push(line) });
  assert.deepEqual(loaded, ["@tensorflow/tfjs-node-gpu"], "tfjs-node must not be loaded next to tfjs-node-gpu");
  assert.equal(info.device, "cpu");
  assert.equal(info.backend, "tensorflow");
  assert.match(info.reasons[0], /^tfjs-node-gpu: loaded, but TensorFlow found no GPU/);
  assert.ok(info.notes.some((note) => note.includes("through @tensorflow/tfjs-node-gpu, which found no GPU")));
});

test("auto: tfjs-node alone gives the cpu device", async () => {
  const { importModule } = fakeLoader({ "@tensorflow/tfjs-node": { gpu: false, isGPUPackage: false } });
  const info = await selectDevice("auto", { importModule });
  assert.equal(info.device, "cpu");
  assert.equal(info.versions["@tensorflow/tfjs-node"], "4.22.0");
  assert.match(info.reasons[0], /^tfjs-node-gpu: not installed/);
  assert.equal(process.env.CUDA_CACHE_MAXSIZE, cacheBefore, "the cache size is put back when tfjs-node-gpu is absent");
});

test("cpu: refused while tfjs-node-gpu drives a GPU in this process", async () => {
  const { importModule } = fakeLoader({ "@tensorflow/tfjs-node-gpu": { gpu: true, isGPUPackage: true } });
  await selectDevice("gpu", { importModule });
  await assert.rejects(
    selectDevice("cpu", { importModule }),
    /already loaded and runs on the GPU; choose "gpu", or start with CUDA_VISIBLE_DEVICES=/,
  );
});

test("a package that is installed but cannot load is reported as broken, not missing", async () => {
  const broken = new Error("libcudart.so.11.0: cannot open shared object file: No such file or directory");
  const { importModule } = fakeLoader({ "@tensorflow/tfjs-node-gpu": broken });
  await assert.rejects(
    selectDevice("gpu", { importModule }),
    /tfjs-node-gpu: installed but failed to load: libcudart\.so\.11\.0: cannot open shared object file.*npm rebuild @tensorflow\/tfjs-node-gpu/,
  );
  const missingDependency = Object.assign(new Error("Cannot find module '@mapbox/node-pre-gyp'"), {
    code: "MODULE_NOT_FOUND",
  });
  const second = fakeLoader({ "@tensorflow/tfjs-node": missingDependency });
  await assert.rejects(
    selectDevice("cpu", { importModule: second.importModule }),
    /tfjs-node: installed but failed to load: Cannot find module '@mapbox\/node-pre-gyp'/,
  );
});
