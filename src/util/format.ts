/** Text made safe inside HTML elements and attribute values (report pages, the tfjs example page). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** A metric as every table shows it: `babelbed run`'s summary, `babelbed evaluate`, the reports. */
export function formatMetric(value: number): string {
  return Math.abs(value) >= 100 ? value.toFixed(1) : value.toFixed(4);
}
