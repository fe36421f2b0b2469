/*
 * Charts as static SVG from echarts' server-side renderer. Static SVG, not echarts' browser
 * bundle inlined with a script: the page then has no script at all, opens from disk (or as a CI
 * artifact, or in a mail) in any browser with no network, prints sharply, and costs a few tens
 * of kilobytes per chart instead of a megabyte of library per report. What it gives up is hovering
 * for values; the tables beside the charts carry the numbers.
 */
import { LineChart, ScatterChart } from "echarts/charts";
import { GridComponent, LegendComponent, MarkLineComponent } from "echarts/components";
import { init, use } from "echarts/core";
import { SVGRenderer } from "echarts/renderers";
import type { Point } from "./series.js";

use([LineChart, ScatterChart, GridComponent, LegendComponent, MarkLineComponent, SVGRenderer]);

/** Colour-blind-safe (Okabe–Ito, reordered so the first two contrast most). */
export const palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"];

export const fontFamily = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

/** A line of a chart; `raw` adds the unsmoothed points as faint dots behind it. */
export interface ChartLine {
  name: string;
  points: Point[];
  color: string;
  dashed?: boolean;
  /** Draw a dot at each point (evaluations, which are few). */
  symbols?: boolean;
  raw?: Point[];
}

export interface ChartSpec {
  lines: ChartLine[];
  width: number;
  height: number;
  yName: string;
  /** Vertical rules with a label, e.g. where progressive stacking grew the encoder. */
  markers?: { x: number; label: string }[];
  /** A log scale when the lines differ by orders of magnitude (a classification and a regression loss). */
  logarithmic?: boolean;
  /** The y-axis reaches zero, so that a small change looks small; else it is zoomed to the data. */
  fromZero?: boolean;
  /** Horizontal rules with a label, e.g. the chance level of retrieval. */
  rules?: { y: number; label: string }[];
}

/** The chart as an `<svg>` element. */
export function renderChart(spec: ChartSpec): string {
  const chart = init(null, null, { renderer: "svg", ssr: true, width: spec.width, height: spec.height });
  try {
    const series: unknown[] = [];
    for (const line of spec.lines) {
      // The line first: the legend takes its symbol from the first series of a name.
      series.push({
        type: "line",
        name: line.name,
        data: line.points,
        showSymbol: line.symbols === true,
        symbolSize: 6,
        color: line.color,
        lineStyle: { width: line.symbols === true ? 1.6 : 2, type: line.dashed ? "dashed" : "solid" },
        emphasis: { disabled: true },
        z: 3,
      });
      if (line.raw !== undefined && line.raw.length > 0) {
        series.push({
          type: "scatter",
          name: line.name,
          data: line.raw,
          symbolSize: 3.5,
          itemStyle: { color: line.color, opacity: 0.35 },
          silent: true,
          z: 1,
        });
      }
    }
    const rules = [
      ...(spec.markers ?? []).map((marker) => ({ xAxis: marker.x, name: marker.label })),
      ...(spec.rules ?? []).map((rule) => ({ yAxis: rule.y, name: rule.label, label: { position: "insideEndTop" } })),
    ];
    if (rules.length > 0 && series.length > 0) {
      (series.at(-1) as Record<string, unknown>).markLine = {
        silent: true,
        symbol: "none",
        lineStyle: { color: "#8a8f98", type: "dotted", width: 1 },
        label: { formatter: "{b}", color: "#55595f", fontSize: 11 },
        data: rules,
      };
    }
    const names = unique(spec.lines.map((line) => line.name));
    chart.setOption({
      animation: false,
      textStyle: { fontFamily },
      // Room for the legend, which wraps when the series are many (a comparison's A and B).
      grid: {
        left: 70,
        right: 24,
        top: 22 + 24 * legendRows(names, spec.width - 76) + (spec.markers?.length ? 14 : 0),
        bottom: 44,
      },
      legend: {
        top: 6,
        left: 60,
        right: 16,
        type: "plain",
        itemGap: 20,
        itemWidth: 18,
        itemHeight: 10,
        textStyle: { fontSize: 12, color: "#333" },
        data: names,
      },
      xAxis: {
        type: "value",
        name: "training step",
        nameLocation: "middle",
        nameGap: 26,
        nameTextStyle: { color: "#555" },
        scale: true,
        axisLabel: { color: "#555" },
        splitLine: { show: false },
        minInterval: 1,
      },
      yAxis: {
        type: spec.logarithmic ? "log" : "value",
        name: spec.yName,
        nameLocation: "middle",
        nameGap: 46,
        nameTextStyle: { color: "#555" },
        // echarts' `scale: false` keeps zero on the axis.
        scale: spec.fromZero !== true,
        axisLabel: { color: "#555", formatter: axisNumber },
        splitLine: { lineStyle: { color: "#e6e8eb" } },
      },
      series,
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/** How many rows the legend takes, packing items as echarts does; text measured at 6.5 pixels a character (12 px sans). */
function legendRows(names: string[], width: number): number {
  let rows = 1;
  let used = 0;
  for (const name of names) {
    const item = 18 + 5 + 6.5 * name.length;
    if (used > 0 && used + item > width) {
      rows++;
      used = 0;
    }
    used += item + 20;
  }
  return rows;
}

/** Axis numbers short enough for a narrow margin: 0.0123, 1.2e-5, 12.5k. */
function axisNumber(value: number): string {
  const size = Math.abs(value);
  if (size === 0) return "0";
  if (size >= 10_000) return `${Number((value / 1000).toPrecision(3))}k`;
  if (size < 1e-3) return value.toExponential(1);
  return String(Number(value.toPrecision(3)));
}

/** True when positive lines' typical values differ by more than 20×: one linear axis would flatten the smaller. */
export function wantsLogScale(lines: Point[][]): boolean {
  const values = lines.flat().map(([, y]) => y);
  if (values.length === 0 || values.some((value) => !(value > 0))) return false;
  const typical = lines
    .filter((points) => points.length > 0)
    .map((points) => points.map(([, y]) => y).sort((left, right) => left - right)[Math.floor(points.length / 2)]!);
  return Math.max(...typical) / Math.min(...typical) > 20;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
