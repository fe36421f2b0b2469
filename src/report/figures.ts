import { describeMetric, formatDescribed } from "../evaluate/metric-descriptions.js";
import { palette, renderChart, wantsLogScale, type ChartLine } from "./charts.js";
import { stepTasksOfRecipe } from "./described-metrics.js";
import { escapeHtml, figure } from "./html.js";
import type { RunData } from "./run-data.js";
import { chancePercent, isCount, metricScale, type MetricScale } from "./scales.js";
import { depthChanges, isConstant, lossByObjective, metricsByTask, runningMean, thin, type Point } from "./series.js";

/** A run as the charts show it: alone, or as A or B of a comparison (B dashed). */
export interface RunView {
  label: string;
  data: RunData;
}

const wide = { width: 1080, height: 340 };
const narrow = { width: 540, height: 300 };

/**
 * Colours: one per objective or metric, the same in both runs of a comparison, where B is dashed:
 * a metric keeps its colour from chart to chart and A and B of it are told apart by the stroke.
 */
function colour(seriesIndex: number): string {
  return palette[seriesIndex % palette.length]!;
}

function seriesName(views: RunView[], view: RunView, name: string): string {
  return views.length > 1 ? `${view.label}: ${name}` : name;
}

export function smoothingWindow(points: number): number {
  return Math.max(5, Math.round(points / 25));
}

/** The loss of one training step: dots for every step, a line for their running mean, a colour per objective. */
export function lossFigure(step: string, views: RunView[]): string | undefined {
  const perRun = views.map((view) => ({ view, series: lossByObjective(view.data.training, step) }));
  const objectives = [...new Set(perRun.flatMap(({ series }) => [...series.keys()]))];
  if (objectives.length === 0) return undefined;
  const lines: ChartLine[] = [];
  const windows = new Set<number>();
  for (const [runIndex, { view, series }] of perRun.entries()) {
    for (const [objective, points] of series) {
      const window = smoothingWindow(points.length);
      windows.add(window);
      lines.push({
        name: seriesName(views, view, objective),
        points: thin(runningMean(points, window)),
        raw: thin(points),
        color: colour(objectives.indexOf(objective)),
        dashed: runIndex > 0,
      });
    }
  }
  const svg = renderChart({
    ...wide,
    lines,
    yName: "loss",
    markers: depthMarkers(step, views),
    logarithmic: wantsLogScale(lines.map((line) => line.raw!)),
  });
  const counts = perRun.map(
    ({ view, series }) =>
      `${views.length > 1 ? `${view.label}: ` : ""}${Math.max(0, ...[...series.values()].map((points) => points.at(-1)?.[0] ?? 0))} steps`,
  );
  const note = `Dots: the loss of each training step; lines: its running mean over ${[...windows].join(" / ")} steps. ${counts.join(", ")}.`;
  return figure(`${step}: training loss`, svg, escapeHtml(note));
}

/** Where progressive stacking grew the encoder; two runs that grew alike at a step share one label. */
function depthMarkers(step: string, views: RunView[]): { x: number; label: string }[] {
  const byStep = new Map<number, { view: RunView; layers: number }[]>();
  for (const view of views) {
    for (const change of depthChanges(view.data.training, step)) {
      byStep.set(change.trainingStep, [...(byStep.get(change.trainingStep) ?? []), { view, layers: change.layers }]);
    }
  }
  const layers = (count: number) => `${count} layer${count === 1 ? "" : "s"}`;
  return [...byStep].map(([x, changes]) => {
    const same = changes.length === views.length && changes.every((change) => change.layers === changes[0]!.layers);
    const label =
      same || views.length === 1
        ? layers(changes[0]!.layers)
        : changes.map((change) => `${change.view.label}: ${layers(change.layers)}`).join(", ");
    return { x, label };
  });
}

/**
 * Evaluation metrics of one step over training: a chart per task and kind of metric (accuracies in
 * percent, correlations, errors), its axis from zero and titled with the unit, retrieval's chance
 * level drawn. Counts and metrics that never move are listed, not drawn.
 */
export function evaluationFigures(
  step: string,
  views: RunView[],
): { figures: string[]; constants: string[]; counts: string[] } {
  const perRun = views.map((view) => ({ view, tasks: metricsByTask(view.data.evaluations, step) }));
  // One evaluation (an evaluate step) has no course over time: the table shows it.
  const drawable = perRun.some(({ tasks }) =>
    [...tasks.values()].some((series) => [...series.values()].some((points) => points.length > 1)),
  );
  if (!drawable) return { figures: [], constants: [], counts: [] };
  const tasks = [...new Set(perRun.flatMap(({ tasks }) => [...tasks.keys()]))];
  const figures: string[] = [];
  const constants: string[] = [];
  const counts: string[] = [];
  for (const task of tasks) {
    const metrics = [...new Set(perRun.flatMap(({ tasks: byTask }) => [...(byTask.get(task)?.keys() ?? [])]))];
    const pairs = perRun
      .map(({ tasks: byTask }) => byTask.get(task)?.get(`${task}/pairs`)?.at(-1)?.[1])
      .find((value) => value !== undefined);
    // Lines and axes named for people ("top-1 retrieval accuracy, English → German"), not by their keys.
    const kinds = new Map<string, { scale: MetricScale; lines: ChartLine[]; names: Set<string> }>();
    for (const [runIndex, { view, tasks: byTask }] of perRun.entries()) {
      for (const [metric, points] of byTask.get(task) ?? new Map<string, Point[]>()) {
        const description = describeMetric(metric, {
          ...stepTasksOfRecipe(view.data.recipeText).get(step)?.get(task),
        });
        // A metric known only by its description (a sentence) is named by its key, as its paper does ("uniformity").
        const name = description.name.length <= 56 ? description.name : metric.slice(metric.lastIndexOf("/") + 1);
        const value = points.at(-1)![1];
        // Notes name the figure as the charts do: "en-de: 150 test pairs", not `en-de/pairs = 150`.
        if (description.count || isCount(metric)) {
          counts.push(seriesName(views, view, `${task}: ${Math.round(value)} ${name}`));
          continue;
        }
        if (points.length > 1 && isConstant(points)) {
          constants.push(seriesName(views, view, `${task}: ${name} = ${formatDescribed(description, value)}`));
          continue;
        }
        const scale = metricScale(metric);
        if (!kinds.has(scale.kind)) kinds.set(scale.kind, { scale, lines: [], names: new Set() });
        const kind = kinds.get(scale.kind)!;
        kind.names.add(name);
        kind.lines.push({
          name: seriesName(views, view, name),
          points: points.map(([x, y]) => [x, y * scale.factor] as Point),
          symbols: true,
          color: colour(metrics.indexOf(metric)),
          dashed: runIndex > 0,
        });
      }
    }
    for (const { scale, lines, names } of kinds.values()) {
      const chance = chancePercent(scale.kind, pairs);
      const rules =
        chance === undefined ? [] : [{ y: chance, label: `chance ${formatPercent(chance)} (1 in ${pairs})` }];
      const svg = renderChart({
        ...narrow,
        lines,
        // A metric no scale knows is titled by its own name when it is alone on its axis.
        yName: scale.kind === "value" && names.size === 1 && [...names][0]!.length <= 48 ? [...names][0]! : scale.axis,
        logarithmic: false,
        fromZero: scale.fromZero,
        rules,
      });
      const joined = [...names].join(" / ");
      const title = `${step}: ${task}, ${names.size === 1 || joined.length <= 60 ? joined : scale.axis}`;
      figures.push(figure(title, svg));
    }
  }
  return { figures, constants, counts };
}

function formatPercent(value: number): string {
  return `${value < 1 ? value.toFixed(2) : value.toFixed(1)}%`;
}

/** All charts of the runs, step by step: the loss chart full width, then the evaluation charts two abreast. */
export function chartSections(steps: string[], views: RunView[]): string {
  const parts: string[] = [];
  for (const step of steps) {
    const loss = lossFigure(step, views);
    const { figures, constants, counts } = evaluationFigures(step, views);
    if (loss === undefined && figures.length === 0) continue;
    parts.push(`<h3 class="step-title">${escapeHtml(step)}</h3>`);
    if (loss !== undefined) parts.push(loss);
    if (figures.length > 0) parts.push(`<div class="charts">${figures.join("\n")}</div>`);
    if (counts.length > 0) parts.push(`<p class="note">Evaluated on: ${escapeHtml(unique(counts).join(", "))}.</p>`);
    if (constants.length > 0)
      parts.push(`<p class="note">Unchanged through training: ${escapeHtml(constants.join(", "))}.</p>`);
  }
  return parts.length === 0 ? '<p class="note">No training or repeated evaluation was logged.</p>' : parts.join("\n");
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
