import * as tf from "@tensorflow/tfjs";
import { firstLine } from "./messages.js";
import type { Activation, SelectDeviceOptions } from "./types.js";
import { installedVersion } from "./versions.js";

/*
 * tfjs-node and tfjs-node-gpu register a backend named "tensorflow" into the
 * tfjs they import, and make it current. Both are CommonJS and require
 * "@tensorflow/tfjs", which resolves (Node ignores the "module" field) to the
 * same dist/tf.node.js, and through it the same @tensorflow/tfjs-core, that
 * babelbed's own `import "@tensorflow/tfjs"` loads: with the exact 4.22.0 pins
 * npm dedupes them into one module instance. Even an undeduped second copy of
 * tfjs-core would work: the engine and the kernel and gradient registries live
 * on the global object (globalThis._tfengine, getGlobal("kernelRegistry")),
 * and Tensor's Symbol.hasInstance accepts tensors from either copy. So loading
 * the package for its side effect is enough; babelbed keeps importing
 * "@tensorflow/tfjs" everywhere and never imports tfjs-node statically.
 */

const gpuPackage = "@tensorflow/tfjs-node-gpu";
const cpuPackage = "@tensorflow/tfjs-node";

/** The fields of tfjs-node's NodeJSKernelBackend that tell where it runs. */
interface TensorflowBackend {
  /** True when the backend came from tfjs-node-gpu. */
  isGPUPackage?: boolean;
  /** TensorFlow found a GPU among its devices when it created its eager context. */
  isUsingGpuDevice?: boolean;
  binding?: { TF_Version?: string };
}

/**
 * The CUDA driver caches kernels it JIT-compiles from PTX, 256 MiB by default.
 * TensorFlow 2.9 (inside tfjs-node-gpu 4.22) ships no sm_90 code, so on H100
 * and H200 every kernel is compiled from PTX on first use, which takes minutes
 * and overflows the default cache: each run would compile again.
 */
const cudaCacheSize = "4294967296";

/** What TensorFlow 2.9's prebuilt GPU library links against. */
const cudaLibraries = "the CUDA 11.2 and cuDNN 8.1 libraries";

const installHint: Record<"gpu" | "cpu", string> = {
  gpu: `npm install ${gpuPackage}; it needs Linux x86-64, an NVIDIA driver, CUDA 11.2 and cuDNN 8.1`,
  cpu: `npm install ${cpuPackage}`,
};

type Loaded = { status: "loaded"; module: unknown } | { status: "missing" } | { status: "failed"; message: string };

async function load(specifier: string, importModule: (specifier: string) => Promise<unknown>): Promise<Loaded> {
  try {
    return { status: "loaded", module: await importModule(specifier) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message = firstLine(error);
    // Only the package itself being absent counts as "not installed"; a
    // dependency or native library it cannot find is a broken install.
    const packageAbsent =
      (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") && message.includes(`'${specifier}'`);
    return packageAbsent ? { status: "missing" } : { status: "failed", message };
  }
}

function registeredTensorflow(): boolean {
  return tf.findBackendFactory("tensorflow") !== null;
}

/**
 * Make the native TensorFlow backend current for "gpu" (tfjs-node-gpu with a
 * GPU TensorFlow can see) or "cpu" (native TensorFlow on the CPU: tfjs-node,
 * or tfjs-node-gpu when it is already loaded and found no GPU, since the two
 * packages cannot both register "tensorflow" in one process).
 */
export async function activateNative(kind: "gpu" | "cpu", options: SelectDeviceOptions): Promise<Activation> {
  const log = options.log ?? (() => {});
  const importModule = options.importModule ?? ((specifier: string) => import(specifier));
  const wanted = kind === "gpu" ? gpuPackage : cpuPackage;
  const label = wanted.replace("@tensorflow/", "");
  let loadedModule: unknown;

  if (!registeredTensorflow()) {
    const setCache = kind === "gpu" && process.env.CUDA_CACHE_MAXSIZE === undefined;
    if (setCache) process.env.CUDA_CACHE_MAXSIZE = cudaCacheSize;
    const loaded = await load(wanted, importModule);
    if (loaded.status !== "loaded") {
      if (setCache) delete process.env.CUDA_CACHE_MAXSIZE;
      if (loaded.status === "missing") return { ok: false, reason: `${label}: not installed (${installHint[kind]})` };
      const repair = `npm rebuild ${wanted}${kind === "gpu" ? `; check that ${cudaLibraries} are on LD_LIBRARY_PATH` : ""}`;
      return { ok: false, reason: `${label}: installed but failed to load: ${loaded.message} (${repair})` };
    }
    if (setCache) {
      log(
        `device: set CUDA_CACHE_MAXSIZE=${cudaCacheSize} before loading ${label}: TensorFlow 2.9 has no sm_90 kernels, ` +
          "so H100/H200 compile them from PTX on first use (minutes) and need room to cache them for later runs",
      );
    }
    loadedModule = loaded.module;
    if (!registeredTensorflow()) {
      return { ok: false, reason: `${label}: loaded, but it registered no "tensorflow" backend` };
    }
  }

  try {
    if (!(await tf.setBackend("tensorflow"))) {
      return { ok: false, reason: `${label}: the "tensorflow" backend failed to initialise` };
    }
  } catch (error) {
    return { ok: false, reason: `${label}: the "tensorflow" backend failed to initialise: ${firstLine(error)}` };
  }
  const backend = tf.backend() as TensorflowBackend;
  const fromGpuPackage = backend.isGPUPackage === true;
  const onGpu = backend.isUsingGpuDevice === true;
  const owner = fromGpuPackage ? gpuPackage : cpuPackage;
  const notes: string[] = [];

  if (kind === "gpu") {
    if (!fromGpuPackage) {
      const reason = `${label}: ${cpuPackage} is already loaded in this process and the two cannot share it; start a new process to use the GPU`;
      return { ok: false, reason };
    }
    if (!onGpu) {
      return {
        ok: false,
        reason: `${label}: loaded, but TensorFlow found no GPU (check nvidia-smi, and that ${cudaLibraries} are on LD_LIBRARY_PATH)`,
      };
    }
    notes.push(
      "the first steps on H100/H200 are slow while CUDA compiles TensorFlow's kernels from PTX; later runs reuse the cache",
    );
  } else if (fromGpuPackage) {
    if (onGpu) {
      const reason = `${label}: ${gpuPackage} is already loaded and runs on the GPU; choose "gpu", or start with CUDA_VISIBLE_DEVICES= to keep TensorFlow on the CPU`;
      return { ok: false, reason };
    }
    notes.push(`native TensorFlow on the CPU through ${gpuPackage}, which found no GPU`);
  }
  if (kind === "cpu") notes.push("TensorFlow sizes its own CPU thread pool (one thread per core)");

  const versions: Record<string, string> = {};
  const moduleVersion = (loadedModule as { version?: Record<string, string> } | undefined)?.version?.["tfjs-node"];
  const packageVersion = moduleVersion ?? installedVersion(owner);
  if (packageVersion !== undefined) versions[owner] = packageVersion;
  if (backend.binding?.TF_Version !== undefined) versions.tensorflow = backend.binding.TF_Version;
  return { ok: true, backend: "tensorflow", threads: null, notes, versions };
}
