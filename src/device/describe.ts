import type { DeviceInfo } from "./types.js";

/** The text `babelbed info` prints about the device: one fact per line. */
export function describeDevice(info: DeviceInfo): string {
  const lines = [
    `device:   ${info.device} (tfjs backend "${info.backend}")`,
    `threads:  ${info.threads === null ? "chosen by TensorFlow" : String(info.threads)}`,
  ];
  const versions = Object.entries(info.versions).sort(
    ([left], [right]) => versionOrder(left) - versionOrder(right) || left.localeCompare(right),
  );
  lines.push("versions:");
  const width = Math.max(...versions.map(([name]) => name.length));
  for (const [name, version] of versions) lines.push(`  ${name.padEnd(width)}  ${version}`);
  if (info.notes.length > 0) {
    lines.push("notes:");
    for (const note of info.notes) lines.push(`  ${note}`);
  }
  if (info.reasons.length > 0) {
    lines.push("skipped:");
    for (const reason of info.reasons) lines.push(`  ${reason}`);
  }
  lines.push(
    `kernels babelbed registered: ${info.registeredKernels.length > 0 ? info.registeredKernels.join(", ") : "none (only the wasm backend needs them)"}`,
  );
  return lines.join("\n");
}

/** node first, then TensorFlow itself, then the tfjs packages alphabetically. */
function versionOrder(name: string): number {
  if (name === "node") return 0;
  if (name === "tensorflow") return 1;
  return 2;
}
