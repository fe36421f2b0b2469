import type { Command } from "commander";
import { describeDevice } from "../../device/index.js";
import { startDevice } from "../device.js";
import { deviceHelp, parseDevice, parsePositiveInteger, threadsHelp, type DeviceChoice } from "../options.js";

export function registerInfo(program: Command): void {
  program
    .command("info")
    .description("Show the backend babelbed chooses, why, the package versions and the kernels it registered.")
    .option("--device <device>", deviceHelp, parseDevice, "auto")
    .option("--threads <n>", threadsHelp, parsePositiveInteger)
    .addHelpText("after", "\nExample:\n  babelbed info --device wasm\n")
    .action(async (flags: { device: DeviceChoice; threads?: number }) => {
      const info = await startDevice(flags.device, true, flags.threads);
      process.stdout.write(`${describeDevice(info)}\n`);
    });
}
