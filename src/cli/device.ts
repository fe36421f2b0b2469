import * as tf from "@tensorflow/tfjs";
import { selectDevice, type DeviceChoice, type DeviceInfo } from "../device/index.js";

/** Set by the program's `--verbose`: every line of the device choice instead of one. */
let verbose = false;

export function setVerbose(value: boolean): void {
  verbose = value;
}

/**
 * Select the backend for a command, reporting the choice on stderr (stdout stays clean
 * for data): one line, naming what was skipped; `--verbose` adds why, and the backend's notes.
 * Production mode silences tfjs' "install tfjs-node" banner: the choice line says more.
 */
export async function startDevice(choice: DeviceChoice, quiet = false, threads?: number): Promise<DeviceInfo> {
  tf.env().set("PROD", true);
  const lines: string[] = [];
  const info = await selectDevice(choice, {
    threads,
    log: (line) => (verbose && !quiet ? process.stderr.write(`${line}\n`) : lines.push(line)),
  });
  if (!quiet && !verbose) process.stderr.write(`${deviceSummary(info, lines)}\n`);
  return info;
}

/** `device: wasm (tfjs backend "wasm", 1 thread); skipped gpu, cpu: not installed (--verbose says more)` */
export function deviceSummary(info: DeviceInfo, lines: string[]): string {
  const threads = typeof info.threads === "number" ? `, ${info.threads} thread${info.threads === 1 ? "" : "s"}` : "";
  const skipped = lines.flatMap((line) => /^device: skipped (\w+): (.*)$/.exec(line)?.slice(1, 3) ?? []);
  const names = skipped.filter((_, index) => index % 2 === 0);
  const why = skipped.filter((_, index) => index % 2 === 1).every((reason) => / not installed /.test(reason))
    ? ": not installed"
    : "";
  const skippedText = names.length === 0 ? "" : `; skipped ${names.join(", ")}${why} (--verbose says more)`;
  return `device: ${info.device} (tfjs backend "${info.backend}"${threads})${skippedText}`;
}
