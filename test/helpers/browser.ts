import { existsSync } from "node:fs";
import puppeteer, { type Browser } from "puppeteer-core";

/** Debian's chromium, which `.ci/run` installs; the first found is used. */
const candidates = [process.env.BABELBED_CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser"].filter(
  (candidate): candidate is string => Boolean(candidate),
);

export const chromiumPath: string | undefined = candidates.find((candidate) => existsSync(candidate));

/** `test(..., { skip })` value: false when a headless Chromium is installed, else why the test cannot run. */
export const skipWithoutChromium: false | string =
  chromiumPath === undefined
    ? "needs Chromium (apt-get install chromium; .ci/run installs it), which is absent"
    : false;

/** A headless Chromium that may read `file://` pages and their neighbours; close it in a `finally`. */
export async function launchChromium(): Promise<Browser> {
  if (chromiumPath === undefined) throw new Error(String(skipWithoutChromium));
  return puppeteer.launch({
    executablePath: chromiumPath,
    headless: true,
    // --no-sandbox: CI runs as root, where Chromium refuses its sandbox.
    args: ["--no-sandbox", "--disable-gpu", "--allow-file-access-from-files", "--disable-dev-shm-usage"],
  });
}
