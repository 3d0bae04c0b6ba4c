/**
 * The rate chart's model without a browser (review L4: a max label only, no
 * time axis, and a lost/s of 0 indistinguishable from the x axis). The page's
 * SVG built from it is read back by test/interop/dashboard.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  chartModel,
  LOST_DASH,
  niceCeiling,
  TIME_STEP_MS,
  type ChartModel,
} from './chart-model.js';
import { RATE_WINDOW_SECONDS, type RateSeries } from './store.js';

const utc = (ms: number) => new Date(ms).toISOString().slice(11, 19);

function series(received: (number | null)[], lost: (number | null)[]): RateSeries {
  return { received, lost, gapSeconds: 0, gapLost: 0, gapLostExact: true };
}

const value = fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: null, freq: 8 });
const drawn = fc.integer({ min: 2, max: RATE_WINDOW_SECONDS }).chain((n) =>
  fc.record({
    received: fc.array(value, { minLength: n, maxLength: n }),
    lost: fc.array(value, { minLength: n, maxLength: n }),
    nowMs: fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }),
    // The host's clock ahead of or behind the page's, by up to a day.
    hostOffsetMs: fc.integer({ min: -86_400_000, max: 86_400_000 }),
    width: fc.integer({ min: 240, max: 1600 }),
    height: fc.integer({ min: 100, max: 400 }),
  }),
);

function build(d: {
  received: (number | null)[];
  lost: (number | null)[];
  nowMs: number;
  hostOffsetMs: number;
  width: number;
  height: number;
}): ChartModel {
  return chartModel(series(d.received, d.lost), {
    nowMs: d.nowMs,
    hostOffsetMs: d.hostOffsetMs,
    timeLabel: utc,
    size: { width: d.width, height: d.height },
  });
}

describe('the rate chart model (review L4)', () => {
  it('has a y axis from 0 at the x axis to a top above every value (series, sizes and clocks drawn)', () => {
    fc.assert(
      fc.property(drawn, (d) => {
        const model = build(d);
        const [zero, ...rest] = model.yTicks;
        expect(zero).toMatchObject({ value: 0, label: '0', at: model.plot.bottom });
        const top = rest[rest.length - 1];
        const known = [...d.received, ...d.lost].filter((v): v is number => v !== null);
        expect(top?.value).toBeGreaterThanOrEqual(Math.max(1, ...known));
        expect(top?.label).toBe(`${top?.value}/s`);
        expect(top?.at).toBe(model.plot.top);
        // Every point of both lines inside the plot.
        for (const line of [model.received, model.lost])
          for (const run of line.segments)
            for (const [x, y] of run) {
              expect(x).toBeGreaterThanOrEqual(model.plot.left - 1e-9);
              expect(x).toBeLessThanOrEqual(model.plot.right + 1e-9);
              expect(y).toBeGreaterThanOrEqual(model.plot.top - 1e-9);
              expect(y).toBeLessThanOrEqual(model.plot.bottom + 1e-9);
            }
      }),
    );
  });

  it("labels the time axis on the host's clock, every 30 s of the window, left to right", () => {
    fc.assert(
      fc.property(drawn, (d) => {
        const model = build(d);
        const newest = Math.floor(d.nowMs / 1000) * 1000 + d.hostOffsetMs;
        const oldest = newest - (d.received.length - 1) * 1000;
        const expected: number[] = [];
        for (
          let t = Math.ceil(oldest / TIME_STEP_MS) * TIME_STEP_MS;
          t <= newest;
          t += TIME_STEP_MS
        )
          expected.push(t);
        expect(model.xTicks.map((t) => t.hostMs)).toEqual(expected);
        expect(model.xTicks.map((t) => t.label)).toEqual(expected.map(utc));
        const xs = model.xTicks.map((t) => t.at);
        expect([...xs].sort((a, b) => a - b)).toEqual(xs);
        for (const x of xs) {
          expect(x).toBeGreaterThanOrEqual(model.plot.left - 1e-9);
          expect(x).toBeLessThanOrEqual(model.plot.right + 1e-9);
        }
      }),
    );
  });

  it('a two-minute window always has three or four time labels', () => {
    const full = (v: number) => Array<number | null>(RATE_WINDOW_SECONDS).fill(v);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 41 }), fc.integer(), (nowMs, offset) => {
        const model = chartModel(series(full(3), full(0)), {
          nowMs,
          hostOffsetMs: offset % 86_400_000,
          timeLabel: utc,
        });
        expect([3, 4]).toContain(model.xTicks.length);
      }),
    );
  });

  it('draws lost/s dashed and says its figure, so a lost/s of 0 on the axis reads as "none lost"', () => {
    const received = Array.from({ length: RATE_WINDOW_SECONDS }, (_, i) => i % 7);
    const none = Array<number | null>(RATE_WINDOW_SECONDS).fill(0);
    const model = chartModel(series(received, none), {
      nowMs: 1_700_000_000_500,
      hostOffsetMs: 0,
      timeLabel: utc,
    });
    expect(model.lost.dash).toBe(LOST_DASH);
    expect(model.received.dash).toBe('');
    expect(model.lost.legend).toBe('lost/s 0 (none lost in the last 2 min)');
    // The newest whole second: the last one is still being counted.
    expect(model.received.legend).toBe(`events/s ${received[received.length - 2]}`);
    // The whole lost line lies on the axis: one run, every point at y = bottom.
    expect(model.lost.segments).toHaveLength(1);
    expect(model.lost.segments[0]?.every(([, y]) => y === model.plot.bottom)).toBe(true);

    const some = none.map((v, i) => (i === 50 ? 4 : v));
    some[some.length - 2] = 2;
    some[some.length - 1] = 0;
    expect(
      chartModel(series(received, some), { nowMs: 0, hostOffsetMs: 0, timeLabel: utc }).lost.legend,
    ).toBe('lost/s 2');
  });

  it('breaks the lines and hatches where a second is unknown, and labels the gap with what it cost', () => {
    const received: (number | null)[] = [1, 2, null, null, 5, 6];
    const model = chartModel(
      { received, lost: [0, 0, null, null, 0, 0], gapSeconds: 2, gapLost: 9, gapLostExact: false },
      { nowMs: 0, hostOffsetMs: 0, timeLabel: utc },
    );
    expect(model.received.segments.map((run) => run.length)).toEqual([2, 2]);
    expect(model.gaps).toHaveLength(1);
    const step = (model.plot.right - model.plot.left) / 5;
    expect(model.gaps[0]?.x).toBeCloseTo(model.plot.left + 1.5 * step);
    expect(model.gaps[0]?.width).toBeCloseTo(2 * step);
    expect(model.gapLabel?.text).toBe('≥ 9 lost');
    expect(model.gapLabel?.x).toBeCloseTo(model.plot.left + 3 * step);
  });

  it('rounds the scale up to 1, 2 or 5 times a power of ten', () => {
    expect([0, 1, 1.5, 3, 7, 10, 11, 57, 244, 1000, 1001].map(niceCeiling)).toEqual([
      1, 1, 2, 5, 10, 10, 20, 100, 500, 1000, 2000,
    ]);
    fc.assert(
      fc.property(fc.double({ min: 1, max: 1e12, noNaN: true }), (v) => {
        const top = niceCeiling(v);
        expect(top).toBeGreaterThanOrEqual(v);
        expect(top).toBeLessThanOrEqual(v * 5 + 1e-6);
      }),
    );
  });
});
