// Imported first by the executable's entry, before any module that colours text loads: chalk
// (inside ora) and log-symbols decide once, at import, from FORCE_COLOR. Colour goes only to a
// terminal: stderr carries the spinners and summaries, and a log file or pipe must get no
// escape codes. NO_COLOR (https://no-color.org) and TERM=dumb turn it off; a FORCE_COLOR the
// user set wins.
if (process.env.FORCE_COLOR === undefined) {
  const noColour = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== "";
  if (noColour || process.stderr.isTTY !== true || process.env.TERM === "dumb") process.env.FORCE_COLOR = "0";
}

export {};
