/**
 * Events/s and lost/s for the last two minutes, drawn on a canvas (no chart
 * library). Seconds the page was disconnected are hatched and the lines
 * break there: what happened then is unknown, not zero (review D9).
 */
import type { RateSeries, Store } from '../store.js';

export function drawRates(canvas: HTMLCanvasElement, store: Store): void {
  const context = canvas.getContext('2d');
  if (context === null) return;
  const { width, height } = canvas;
  context.clearRect(0, 0, width, height);
  const series = store.rateSeries();
  const { received, lost } = series;
  const known = [...received, ...lost].filter((v): v is number => v !== null);
  const peak = Math.max(1, ...known);
  const style = getComputedStyle(canvas);
  const colour = (name: string, fallback: string) =>
    style.getPropertyValue(name).trim() || fallback;
  context.strokeStyle = colour('--grid', '#ccc');
  context.fillStyle = colour('--ink', '#000');
  context.font = '12px system-ui, sans-serif';
  context.beginPath();
  context.moveTo(0, height - 0.5);
  context.lineTo(width, height - 0.5);
  context.stroke();
  hatchGaps(context, received, width, height, colour('--muted', '#888'));
  labelGap(context, series, width, height, colour('--lost', '#c30'));
  context.fillStyle = colour('--ink', '#000');
  context.fillText(`${peak}/s`, 4, 14);
  line(context, received, peak, width, height, colour('--received', '#06c'));
  line(context, lost, peak, width, height, colour('--lost', '#c30'));
  const caption = canvas.ownerDocument.getElementById('rate-gaps');
  if (caption !== null) {
    const text =
      series.gapSeconds === 0
        ? ''
        : `; hatched: ${series.gapSeconds} s not connected to the host (events then unknown, not zero${gapLostText(series)})`;
    if (caption.textContent !== text) caption.textContent = text;
  }
}

/** What the host's counters say the gaps cost (review M3), "at least" after a restart. */
function gapLostText(series: RateSeries): string {
  if (series.gapLost === 0) return '';
  return `; ${series.gapLostExact ? '' : 'at least '}${series.gapLost} events missed`;
}

function x(i: number, count: number, width: number): number {
  return (i / (count - 1)) * width;
}

function hatchGaps(
  context: CanvasRenderingContext2D,
  values: readonly (number | null)[],
  width: number,
  height: number,
  colour: string,
): void {
  values.forEach((value, i) => {
    if (value !== null) return;
    const from = x(Math.max(0, i - 0.5), values.length, width);
    const to = x(Math.min(values.length - 1, i + 0.5), values.length, width);
    context.save();
    context.beginPath();
    context.rect(from, 0, to - from, height);
    context.clip();
    context.strokeStyle = colour;
    context.lineWidth = 1;
    context.beginPath();
    // Diagonals every 6 px, in canvas coordinates so neighbouring seconds join up.
    for (let at = Math.floor((from - height) / 6) * 6; at < to; at += 6) {
      context.moveTo(at, height);
      context.lineTo(at + height, 0);
    }
    context.stroke();
    context.restore();
  });
}

/** The gap's missed events written over the newest hatched stretch, in the lost colour. */
function labelGap(
  context: CanvasRenderingContext2D,
  series: RateSeries,
  width: number,
  height: number,
  colour: string,
): void {
  const newest = series.received.lastIndexOf(null);
  if (newest < 0 || series.gapLost === 0) return;
  const label = `${series.gapLostExact ? '' : '≥ '}${series.gapLost} lost`;
  context.fillStyle = colour;
  context.textAlign = 'right';
  context.fillText(
    label,
    Math.max(context.measureText(label).width + 2, x(newest, series.received.length, width)),
    height - 6,
  );
  context.textAlign = 'start';
}

function line(
  context: CanvasRenderingContext2D,
  values: readonly (number | null)[],
  peak: number,
  width: number,
  height: number,
  colour: string,
): void {
  context.strokeStyle = colour;
  context.lineWidth = 2;
  context.beginPath();
  let drawing = false;
  values.forEach((value, i) => {
    if (value === null) {
      drawing = false;
      return;
    }
    const y = height - 2 - (value / peak) * (height - 20);
    if (drawing) context.lineTo(x(i, values.length, width), y);
    else context.moveTo(x(i, values.length, width), y);
    drawing = true;
  });
  context.stroke();
}
