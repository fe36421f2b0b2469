/** Text made safe inside HTML elements and attribute values (report pages, the tfjs example page). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** A metric as every table shows it: `babelbed run`'s summary, `babelbed evaluate`, the reports. */
export function formatMetric(value: number): string {
  return Math.abs(value) >= 100 ? value.toFixed(1) : value.toFixed(4);
}

/**
 * How a metric is written: `%` a share shown ×100 ("30.0%"), `correlation` to three places,
 * `squared-error` to three significant digits (in scientific notation below 0.001, never
 * "0.0000"), `count` whole, `threshold` a setting found on the data, to four places.
 */
export type MetricUnit = "%" | "correlation" | "squared-error" | "count" | "threshold";

function significant(value: number): string {
  if (value === 0) return "0";
  return Math.abs(value) < 1e-3 ? value.toExponential(2) : value.toPrecision(3);
}

/** One number format for the run summary, `babelbed evaluate` and the reports; no unit: as `formatMetric`, small values scientific. */
export function formatNumber(value: number, unit?: MetricUnit): string {
  if (!Number.isFinite(value)) return String(value);
  switch (unit) {
    case "%": {
      const percent = value * 100;
      return `${percent !== 0 && Math.abs(percent) < 1 ? percent.toPrecision(2) : percent.toFixed(1)}%`;
    }
    case "correlation":
      return value.toFixed(3);
    case "squared-error":
      return significant(value);
    case "count":
      return String(Math.round(value));
    case "threshold":
      return value.toFixed(4);
    default:
      return value !== 0 && Math.abs(value) < 1e-3 ? significant(value) : formatMetric(value);
  }
}

/** A change between two values of a metric, signed; a share's in percentage points ("+24.0 pts"). */
export function formatDifference(change: number, unit?: MetricUnit): string {
  const sign = change > 0 ? "+" : change < 0 ? "−" : "±";
  if (unit === "%") return `${sign}${(Math.abs(change) * 100).toFixed(1)} pts`;
  return `${sign}${formatNumber(Math.abs(change), unit)}`;
}
