import { InvalidArgumentError } from "commander";
import { deviceChoices, type DeviceChoice } from "../device/index.js";
import { engineNames, type EngineName } from "../io/onnx/engine.js";

export type { DeviceChoice };

export function parseDevice(value: string): DeviceChoice {
  if (!(deviceChoices as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`expected one of ${deviceChoices.join(", ")}`);
  }
  return value as DeviceChoice;
}

export function parsePositiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0) throw new InvalidArgumentError("expected a positive whole number");
  return number;
}

export const deviceHelp =
  "where tensors run: auto (gpu, then cpu, then wasm, then js), gpu (tfjs-node-gpu), cpu (tfjs-node), wasm, js";

export function parseEngine(value: string): EngineName {
  if (!(engineNames as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected one of ${engineNames.join(", ")}`);
  return value as EngineName;
}

export const engineHelp =
  "where forward-only passes (encoding, evaluation, teacher vectors) run: onnx (onnxruntime-node, the default where it loads) or tfjs";

export const threadsHelp =
  "threads for the wasm device (default: every core, at most 8; results are the same on any count) and the onnx engine (default: every core)";
