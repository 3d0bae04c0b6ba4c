/**
 * What the rate chart shows, as numbers and words, before anything is drawn
 * (views/chart.ts turns it into SVG): the axes with their labels, the two
 * lines, the hatched gaps and the legend. No DOM here, so it is tested
 * without a browser, and the browser test reads the same model back from
 * the SVG's elements.
 *
 * Review L4: the chart had a max label only; it has a time axis on the
 * host's clock and a y axis from zero, and lost/s is dashed with a legend
 * that says its figure, so "none lost" (a dashed line on the axis, "lost/s
 * 0") reads apart from "no line".
 */
import type { RateSeries } from './store.js';

export interface ChartSize {
  readonly width: number;
  readonly height: number;
}

/** The plot area inside the chart: the axes meet at (left, bottom). */
export interface PlotArea {
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

export interface Tick {
  /** Where along its axis: y for the value axis, x for the time axis. */
  readonly at: number;
  readonly label: string;
}

export interface ValueTick extends Tick {
  readonly value: number;
}

export interface TimeTick extends Tick {
  /** The tick's time on the host's clock (ms since the Unix epoch). */
  readonly hostMs: number;
}

export type Point = readonly [x: number, y: number];

export interface ChartLine {
  /** Runs of points: a line breaks where a second is unknown (a gap). */
  readonly segments: readonly (readonly Point[])[];
  /** An SVG stroke-dasharray, or '' for a solid line. */
  readonly dash: string;
  /** The legend's words: the name and the newest whole second's figure. */
  readonly legend: string;
}

export interface ChartModel {
  readonly size: ChartSize;
  readonly plot: PlotArea;
  /** The value axis, from 0 (at `plot.bottom`) to the top of the scale. */
  readonly yTicks: readonly ValueTick[];
  /** Whole `TIME_STEP_MS` marks of the host's clock inside the window, oldest first. */
  readonly xTicks: readonly TimeTick[];
  readonly received: ChartLine;
  readonly lost: ChartLine;
  /** Hatched spans (seconds the page was not connected). */
  readonly gaps: readonly { readonly x: number; readonly width: number }[];
  /** Over the newest gap: what it cost, in the lost colour; undefined without one. */
  readonly gapLabel: { readonly x: number; readonly text: string } | undefined;
}

export const CHART_SIZE: ChartSize = { width: 720, height: 180 };
/** Room for the value labels (left), the legend (top) and the time labels (bottom). */
const MARGIN = { left: 44, right: 12, top: 22, bottom: 22 } as const;
/** A time label every 30 s: three or four in the two-minute window. */
export const TIME_STEP_MS = 30_000;
/** The dash of the lost/s line: apart from the solid axis even where it lies on it. */
export const LOST_DASH = '6 4';

/** The smallest of 1, 2 or 5 times a power of ten at or above `value` (a scale's top). */
export function niceCeiling(value: number): number {
  if (!(value > 1)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

export interface ChartOptions {
  /** The page's clock now (the series' newest second is this one). */
  readonly nowMs: number;
  /** The host's clock minus the page's (from the last snapshot): the axis shows the host's time. */
  readonly hostOffsetMs: number;
  /** How a time of the host's clock is written (the page: HH:MM:SS). */
  readonly timeLabel: (hostMs: number) => string;
  readonly size?: ChartSize;
}

export function chartModel(series: RateSeries, options: ChartOptions): ChartModel {
  const size = options.size ?? CHART_SIZE;
  const plot: PlotArea = {
    left: MARGIN.left,
    right: size.width - MARGIN.right,
    top: MARGIN.top,
    bottom: size.height - MARGIN.bottom,
  };
  const count = series.received.length;
  const known = [...series.received, ...series.lost].filter((v): v is number => v !== null);
  const top = niceCeiling(Math.max(1, ...known));
  const y = (value: number) => plot.bottom - (value / top) * (plot.bottom - plot.top);
  const x = (i: number) =>
    count < 2 ? plot.right : plot.left + (i / (count - 1)) * (plot.right - plot.left);
  const half = top / 2;
  const yTicks: ValueTick[] = [0, ...(Number.isInteger(half) ? [half] : []), top].map((value) => ({
    value,
    at: y(value),
    label: value === top ? `${value}/s` : String(value),
  }));
  // The series' seconds are the page's; the labels are the host's.
  const newestMs = Math.floor(options.nowMs / 1000) * 1000 + options.hostOffsetMs;
  const spanMs = Math.max(0, count - 1) * 1000;
  const oldestMs = newestMs - spanMs;
  const xTicks: TimeTick[] = [];
  for (let t = Math.ceil(oldestMs / TIME_STEP_MS) * TIME_STEP_MS; t <= newestMs; t += TIME_STEP_MS)
    xTicks.push({
      hostMs: t,
      at:
        spanMs === 0
          ? plot.right
          : plot.left + ((t - oldestMs) / spanMs) * (plot.right - plot.left),
      label: options.timeLabel(t),
    });
  return {
    size,
    plot,
    yTicks,
    xTicks,
    received: {
      segments: segments(series.received, x, y),
      dash: '',
      legend: `events/s ${newestKnown(series.received)}`,
    },
    lost: {
      segments: segments(series.lost, x, y),
      dash: LOST_DASH,
      legend: lostLegend(series.lost),
    },
    gaps: gapSpans(series.received, x, plot),
    gapLabel: gapLabel(series, x),
  };
}

/** The newest whole second's figure: the last second of the series is still being counted. */
function newestKnown(values: readonly (number | null)[]): string {
  for (let i = values.length - 2; i >= 0; i--) {
    const value = values[i];
    if (value !== null && value !== undefined) return String(value);
  }
  return 'unknown';
}

/** "lost/s 0", and when none was lost in the whole window, that too. */
function lostLegend(values: readonly (number | null)[]): string {
  const figure = `lost/s ${newestKnown(values)}`;
  return values.some((v) => v !== null && v > 0)
    ? figure
    : `${figure} (none lost in the last ${Math.round(values.length / 60) || 1} min)`;
}

function segments(
  values: readonly (number | null)[],
  x: (i: number) => number,
  y: (value: number) => number,
): Point[][] {
  const out: Point[][] = [];
  let run: Point[] | undefined;
  values.forEach((value, i) => {
    if (value === null) {
      run = undefined;
      return;
    }
    if (run === undefined) {
      run = [];
      out.push(run);
    }
    run.push([x(i), y(value)]);
  });
  return out;
}

function gapSpans(
  values: readonly (number | null)[],
  x: (i: number) => number,
  plot: PlotArea,
): { x: number; width: number }[] {
  const spans: { x: number; width: number }[] = [];
  values.forEach((value, i) => {
    if (value !== null) return;
    // Half a second either side, so neighbouring unknown seconds join up.
    const from = Math.max(plot.left, x(i - 0.5));
    const to = Math.min(plot.right, x(i + 0.5));
    const last = spans[spans.length - 1];
    if (last !== undefined && Math.abs(last.x + last.width - from) < 1e-6)
      spans[spans.length - 1] = { x: last.x, width: to - last.x };
    else spans.push({ x: from, width: to - from });
  });
  return spans;
}

function gapLabel(
  series: RateSeries,
  x: (i: number) => number,
): { x: number; text: string } | undefined {
  const newest = series.received.lastIndexOf(null);
  if (newest < 0 || series.gapLost === 0) return undefined;
  return { x: x(newest), text: `${series.gapLostExact ? '' : '≥ '}${series.gapLost} lost` };
}
