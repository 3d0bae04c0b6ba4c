/**
 * Events/s and lost/s for the last two minutes, drawn as SVG from the
 * chart's model (chart-model.ts; no chart library). Seconds the page was
 * disconnected are hatched and the lines break there: what happened then
 * is unknown, not zero (review D9). Colours come from style.css classes;
 * the geometry, the dash and the words are attributes and text of the
 * elements, so a test reads the model back from the page.
 */
import { chartModel, type ChartLine, type ChartModel } from '../chart-model.js';
import type { Store } from '../store.js';

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag: string, attributes: Readonly<Record<string, string | number>>, text?: string) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

/** HH:MM:SS, as every time on the page (in the browser's time zone). */
function hostTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function drawRates(chart: SVGSVGElement, store: Store, nowMs = Date.now()): void {
  const series = store.rateSeries(nowMs);
  const model = chartModel(series, {
    nowMs,
    hostOffsetMs: store.hostOffsetMs,
    timeLabel: hostTime,
  });
  chart.setAttribute('viewBox', `0 0 ${model.size.width} ${model.size.height}`);
  chart.replaceChildren(
    hatchPattern(),
    ...model.gaps.map((g) =>
      svg('rect', {
        class: 'chart-gap',
        x: g.x,
        y: model.plot.top,
        width: g.width,
        height: model.plot.bottom - model.plot.top,
        fill: 'url(#rate-hatch)',
      }),
    ),
    axes(model),
    line(model.received, 'received'),
    line(model.lost, 'lost'),
    legend(model),
    ...(model.gapLabel === undefined
      ? []
      : [
          svg(
            'text',
            {
              class: 'chart-gap-label',
              x: Math.max(model.plot.left + 60, model.gapLabel.x),
              y: model.plot.bottom - 6,
              'text-anchor': 'end',
            },
            model.gapLabel.text,
          ),
        ]),
  );
  const caption = chart.ownerDocument.getElementById('rate-gaps');
  if (caption !== null) {
    const text =
      series.gapSeconds === 0
        ? ''
        : `; hatched: ${series.gapSeconds} s not connected to the host (events then unknown, not zero${gapLostText(series.gapLost, series.gapLostExact)})`;
    if (caption.textContent !== text) caption.textContent = text;
  }
}

/** What the host's counters say the gaps cost (review M3), "at least" after a restart. */
function gapLostText(lost: number, exact: boolean): string {
  if (lost === 0) return '';
  return `; ${exact ? '' : 'at least '}${lost} events missed`;
}

function hatchPattern(): SVGElement {
  const pattern = svg('pattern', {
    id: 'rate-hatch',
    width: 6,
    height: 6,
    patternUnits: 'userSpaceOnUse',
    patternTransform: 'rotate(45)',
  });
  pattern.append(svg('line', { class: 'chart-hatch', x1: 0, y1: 0, x2: 0, y2: 6 }));
  const defs = svg('defs', {});
  defs.append(pattern);
  return defs;
}

function axes(model: ChartModel): SVGElement {
  const { plot } = model;
  const group = svg('g', { class: 'chart-axes' });
  group.append(
    svg('line', {
      class: 'chart-axis',
      'data-axis': 'y',
      x1: plot.left,
      y1: plot.top,
      x2: plot.left,
      y2: plot.bottom,
    }),
    svg('line', {
      class: 'chart-axis',
      'data-axis': 'x',
      x1: plot.left,
      y1: plot.bottom,
      x2: plot.right,
      y2: plot.bottom,
    }),
  );
  for (const tick of model.yTicks) {
    if (tick.value !== 0)
      group.append(
        svg('line', {
          class: 'chart-grid',
          x1: plot.left,
          y1: tick.at,
          x2: plot.right,
          y2: tick.at,
        }),
      );
    group.append(
      svg(
        'text',
        {
          class: 'chart-label',
          'data-axis': 'y',
          'data-value': tick.value,
          x: plot.left - 4,
          y: tick.at + 4,
          'text-anchor': 'end',
        },
        tick.label,
      ),
    );
  }
  for (const tick of model.xTicks)
    group.append(
      svg('line', {
        class: 'chart-axis',
        x1: tick.at,
        y1: plot.bottom,
        x2: tick.at,
        y2: plot.bottom + 4,
      }),
      svg(
        'text',
        {
          class: 'chart-label',
          'data-axis': 'x',
          'data-host-ms': tick.hostMs,
          x: tick.at,
          y: plot.bottom + 16,
          'text-anchor': 'middle',
        },
        tick.label,
      ),
    );
  return group;
}

function line(model: ChartLine, name: 'received' | 'lost'): SVGElement {
  const d = model.segments
    .map((run) =>
      run.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${x.toFixed(1)} ${y.toFixed(1)}`).join(' '),
    )
    .join(' ');
  return svg('path', {
    class: `chart-line chart-${name}`,
    'data-series': name,
    d,
    fill: 'none',
    'stroke-width': 2,
    ...(model.dash === '' ? {} : { 'stroke-dasharray': model.dash }),
  });
}

/** Top right: each line's key, name and newest figure ("lost/s 0 …"). */
function legend(model: ChartModel): SVGElement {
  const group = svg('g', { class: 'chart-legend' });
  const y = model.plot.top - 8;
  let x = model.plot.left + 4;
  for (const [name, entry] of [
    ['received', model.received],
    ['lost', model.lost],
  ] as const) {
    group.append(
      svg('line', {
        class: `chart-line chart-${name}`,
        x1: x,
        y1: y - 4,
        x2: x + 18,
        y2: y - 4,
        'stroke-width': 2,
        ...(entry.dash === '' ? {} : { 'stroke-dasharray': entry.dash }),
      }),
      svg('text', { class: 'chart-label', 'data-legend': name, x: x + 22, y }, entry.legend),
    );
    x += 22 + entry.legend.length * 7 + 18;
  }
  return group;
}
