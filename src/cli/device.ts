import * as tf from "@tensorflow/tfjs";
import { selectDevice, type DeviceChoice, type DeviceInfo } from "../device/index.js";

/**
 * Select the backend for a command, reporting the choice on stderr (stdout stays clean
 * for data). Production mode silences tfjs' "install tfjs-node" banner: the choice line says more.
 */
export async function startDevice(choice: DeviceChoice, quiet = false, threads?: number): Promise<DeviceInfo> {
  tf.env().set("PROD", true);
  return selectDevice(choice, { threads, log: (line) => (quiet ? undefined : process.stderr.write(`${line}\n`)) });
}
