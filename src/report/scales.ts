/**
 * How a chart shows a metric: the axis title with its unit, a factor (fractions as percent),
 * and whether the axis must reach down to zero. A before/after figure on an axis zoomed to its
 * two points makes +0.02 look like a leap; an axis from zero shows it as the small step it is.
 * Metrics are known by the last part of their name (`tatoeba-deu/source_to_target`).
 */
export interface MetricScale {
  /** Groups metrics that share an axis within one task. */
  kind: string;
  axis: string;
  factor: number;
  fromZero: boolean;
}

const percent = (axis: string): MetricScale => ({ kind: axis, axis: `${axis} (%)`, factor: 100, fromZero: true });

const scales: [RegExp, MetricScale][] = [
  [/^(source_to_target|target_to_source|accuracy)$/, percent("top-1 retrieval accuracy")],
  [/^(precision|recall|f1)$/, percent("mining precision / recall / F1")],
  [
    /^(spearman|pearson)$/,
    { kind: "correlation", axis: "correlation with gold scores (−1 to 1)", factor: 1, fromZero: true },
  ],
  [/^mse/, { kind: "mse", axis: "mean squared error to the teacher", factor: 1, fromZero: true }],
  // Alignment-uniformity's three (Wang & Isola 2020): all fall as a space gets better, on one axis.
  [
    /^(alignment|uniformity|anisotropy)$/,
    { kind: "geometry", axis: "distance / cosine, lower is better", factor: 1, fromZero: true },
  ],
  [/^threshold$/, { kind: "threshold", axis: "margin score threshold", factor: 1, fromZero: false }],
  [/loss/, { kind: "loss", axis: "loss", factor: 1, fromZero: true }],
];

const other: MetricScale = { kind: "value", axis: "value", factor: 1, fromZero: false };

export function metricScale(metric: string): MetricScale {
  const name = metric.slice(metric.lastIndexOf("/") + 1).toLowerCase();
  return scales.find(([pattern]) => pattern.test(name))?.[1] ?? other;
}

/** Counts (a task's `pairs`) describe the data, not the model: listed, never drawn. */
export function isCount(metric: string): boolean {
  return /^(pairs|count|rows|sentences)$/.test(metric.slice(metric.lastIndexOf("/") + 1));
}

/** Top-1 retrieval among n candidates finds the right one by chance 1/n of the time, in percent. */
export function chancePercent(kind: string, pairs: number | undefined): number | undefined {
  return kind === "top-1 retrieval accuracy" && pairs !== undefined && pairs > 0 ? 100 / pairs : undefined;
}
