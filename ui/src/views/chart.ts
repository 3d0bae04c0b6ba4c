/** Events/s and lost/s for the last two minutes, drawn on a canvas (no chart library). */
import { RATE_WINDOW_SECONDS, type Store } from '../store.js';

export function drawRates(canvas: HTMLCanvasElement, store: Store): void {
  const context = canvas.getContext('2d');
  if (context === null) return;
  const { width, height } = canvas;
  context.clearRect(0, 0, width, height);
  const now = Math.floor(Date.now() / 1000);
  const received = new Array<number>(RATE_WINDOW_SECONDS).fill(0);
  const lost = new Array<number>(RATE_WINDOW_SECONDS).fill(0);
  for (const [second, r, l] of store.rates) {
    const at = RATE_WINDOW_SECONDS - 1 - (now - second);
    if (at < 0 || at >= RATE_WINDOW_SECONDS) continue;
    received[at] = r;
    lost[at] = l;
  }
  const peak = Math.max(1, ...received, ...lost);
  const style = getComputedStyle(canvas);
  context.strokeStyle = style.getPropertyValue('--grid').trim() || '#ccc';
  context.fillStyle = style.getPropertyValue('--ink').trim() || '#000';
  context.font = '12px system-ui, sans-serif';
  context.beginPath();
  context.moveTo(0, height - 0.5);
  context.lineTo(width, height - 0.5);
  context.stroke();
  context.fillText(`${peak}/s`, 4, 14);
  line(
    context,
    received,
    peak,
    width,
    height,
    style.getPropertyValue('--received').trim() || '#06c',
  );
  line(context, lost, peak, width, height, style.getPropertyValue('--lost').trim() || '#c30');
}

function line(
  context: CanvasRenderingContext2D,
  values: readonly number[],
  peak: number,
  width: number,
  height: number,
  colour: string,
): void {
  context.strokeStyle = colour;
  context.lineWidth = 2;
  context.beginPath();
  values.forEach((value, i) => {
    const x = (i / (values.length - 1)) * width;
    const y = height - 2 - (value / peak) * (height - 20);
    if (i === 0) context.moveTo(x, y);
    else context.lineTo(x, y);
  });
  context.stroke();
}
