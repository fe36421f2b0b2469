import * as tf from "@tensorflow/tfjs";
import { BabelbedError } from "../util/errors.js";
import { activateNative } from "./native-backend.js";
import { automaticOrder, deviceChoices } from "./types.js";
import type { Activation, Device, DeviceChoice, DeviceInfo, SelectDeviceOptions } from "./types.js";
import { baseVersions } from "./versions.js";
import { firstLine } from "./messages.js";
import { activateWasm } from "./wasm-backend.js";
import { registeredKernels } from "./wasm-kernels/index.js";

async function activate(device: Device, options: SelectDeviceOptions): Promise<Activation> {
  const log = options.log ?? (() => {});
  switch (device) {
    case "gpu":
    case "cpu":
      return activateNative(device, options);
    case "wasm":
      return activateWasm(options.threads, log);
    case "js":
      try {
        if (!(await tf.setBackend("cpu"))) return { ok: false, reason: "js: the cpu backend failed to initialise" };
      } catch (error) {
        return { ok: false, reason: `js: ${firstLine(error)}` };
      }
      return {
        ok: true,
        backend: "cpu",
        threads: 1,
        notes: ["pure JavaScript kernels: the slowest backend"],
        versions: {},
      };
  }
}

/**
 * Make tfjs run on the chosen device and say what was chosen and why.
 *
 * "auto" tries tfjs-node-gpu, then tfjs-node, then wasm, then the pure-JS
 * backend, logging why each unavailable one was skipped; an explicit choice
 * that is unavailable throws a BabelbedError saying how to install it, and
 * leaves the previously active backend in place. Calling it again, with the
 * same or another choice, is safe: packages load once and kernels register
 * once.
 */
export async function selectDevice(choice: DeviceChoice, options: SelectDeviceOptions = {}): Promise<DeviceInfo> {
  if (!deviceChoices.includes(choice)) {
    throw new BabelbedError(`unknown device '${String(choice)}': expected one of ${deviceChoices.join(", ")}`);
  }
  if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 1)) {
    throw new BabelbedError(`threads must be a positive integer, not ${options.threads}`);
  }
  const log = options.log ?? (() => {});
  const previous = tf.getBackend() as string | null | undefined;
  const candidates = choice === "auto" ? automaticOrder : [choice];
  const reasons: string[] = [];
  for (const device of candidates) {
    const activation = await activate(device, options);
    if (!activation.ok) {
      reasons.push(activation.reason);
      if (choice === "auto") log(`device: skipped ${device}: ${activation.reason}`);
      continue;
    }
    const info: DeviceInfo = {
      device,
      backend: tf.getBackend(),
      reasons,
      notes: activation.notes,
      versions: { ...baseVersions(), ...activation.versions },
      threads: activation.threads,
      registeredKernels: activation.backend === "wasm" ? registeredKernels() : [],
    };
    log(`device: using ${device} (tfjs backend "${info.backend}")${choice === "auto" ? "" : " as requested"}`);
    for (const note of info.notes) log(`device: ${note}`);
    return info;
  }
  await restore(previous);
  const detail = reasons.join("\n  ");
  throw new BabelbedError(
    choice === "auto" ? `no device could be started:\n  ${detail}` : `device '${choice}' is not available: ${detail}`,
  );
}

/** Put back the backend that was active before a failed selection, if there was one. */
async function restore(previous: string | null | undefined): Promise<void> {
  if (!previous || tf.getBackend() === previous) return;
  try {
    await tf.setBackend(previous);
  } catch {
    // The earlier backend was removed meanwhile; there is nothing to go back to.
  }
}
