/**
 * Review D8 and D9 without a browser: a page opened late takes the host's
 * snapshot into its panels (and keeps what it saw itself that is newer),
 * and the rate chart's seconds inside a disconnection gap are unknown
 * (null), never zero. The page itself: test/interop/dashboard.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RATE_WINDOW_SECONDS, Store, type HostSnapshot } from './store.js';
import { keywordProblem } from './views/events.js';

function snapshot(overrides: Partial<HostSnapshot> = {}): HostSnapshot {
  return {
    atMs: 50_000,
    startedAtMs: 1_000,
    eventsWritten: 1234,
    sessions: [{ name: 'default', delivered: 1200, lost: 34 }],
    authentications: {
      total: 41,
      byResult: { 'md5 success': 40, 'mschapv2 failure': 1 },
      recent: [
        { timeMs: 49_000, identity: 'demo', method: 'mschapv2', outcome: 'failure' },
        { timeMs: 44_000, identity: 'demo', method: 'md5', outcome: 'success' },
      ],
    },
    websocket: { open: 1, accepted: 3, closeCodes: { '1000': 2 } },
    adapters: [{ name: 'synthetic-a', accepted: 90, dropped: 1 }],
    scripts: [{ port: 'tcp:127.0.0.1:23', result: 'exit 0' }],
    ...overrides,
  };
}

describe('the host snapshot (review D8)', () => {
  it('fills the panels of a page that saw nothing yet', () => {
    const store = new Store();
    store.applySnapshot(snapshot());
    expect(store.host?.authentications.total).toBe(41);
    expect(store.authentications.map((a) => a.timeMs)).toEqual([49_000, 44_000]);
    expect(store.adapters.get('synthetic-a')).toEqual({ accepted: 90, dropped: 1 });
    expect(store.closeCodes.get('1000')).toBe(2);
    expect(store.scripts.get('tcp:127.0.0.1:23')?.result).toBe('exit 0');
    // The page's own counts stay its own.
    expect(store.received).toBe(0);
  });

  it('keeps what the page saw that is newer than the snapshot, and the durations it measured', () => {
    const store = new Store();
    store.authentications.push(
      { timeMs: 51_000, identity: 'alice', method: 'md5', outcome: 'success', durationMs: 3 },
      { timeMs: 44_000, identity: 'demo', method: 'md5', outcome: 'success', durationMs: 7 },
    );
    store.adapters.set('synthetic-a', { accepted: 95, dropped: 0 });
    store.applySnapshot(snapshot());
    expect(store.authentications.map((a) => [a.timeMs, a.durationMs])).toEqual([
      [51_000, 3],
      [49_000, undefined],
      [44_000, 7],
    ]);
    // Counts never go back: the page's 95 frames are ahead of the snapshot's 90.
    expect(store.adapters.get('synthetic-a')).toEqual({ accepted: 95, dropped: 1 });
  });

  it('fills the neighbour table from the host, for a page opened after the ARP exchange (review L4)', () => {
    const store = new Store();
    store.applySnapshot(
      snapshot({
        neighbours: [
          { address: '10.99.99.2', protocol: 'arp', mac: '02:6e:78:73:79:02', state: 'stale' },
        ],
      }),
    );
    expect([...store.neighbours]).toEqual([
      ['10.99.99.2', { protocol: 'arp', mac: '02:6e:78:73:79:02', state: 'stale' }],
    ]);
    // An older host says nothing: the page keeps what it folded itself.
    store.applySnapshot(snapshot());
    expect(store.neighbours.size).toBe(1);
  });

  it("shows the server's duration for a row the page never saw (review L4)", () => {
    const store = new Store();
    store.authentications.push({
      timeMs: 44_000,
      identity: 'demo',
      method: 'md5',
      outcome: 'success',
      durationMs: 7,
    });
    const [failure, success] = snapshot().authentications.recent;
    store.applySnapshot(
      snapshot({
        authentications: {
          total: 2,
          byResult: {},
          recent: [{ ...(failure as NonNullable<typeof failure>), durationMs: 12 }, success!],
        },
      }),
    );
    expect(store.authentications.map((a) => [a.timeMs, a.durationMs])).toEqual([
      [49_000, 12],
      [44_000, 7],
    ]);
  });

  it('stays bounded whatever the snapshot holds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 50 }), (n, own) => {
        const store = new Store();
        for (let i = 0; i < own; i++)
          store.authentications.push({
            timeMs: 100_000 + i,
            identity: 'x',
            method: 'md5',
            outcome: 'success',
            durationMs: undefined,
          });
        const recent = Array.from({ length: n }, (_, i) => ({
          timeMs: 90_000 - i,
          identity: 'demo',
          method: 'md5',
          outcome: 'success',
        }));
        store.applySnapshot(snapshot({ authentications: { total: n, byResult: {}, recent } }));
        return store.authentications.length <= 20;
      }),
    );
  });

  it('reset forgets everything (a switch to another session)', () => {
    const store = new Store();
    store.applySnapshot(snapshot());
    store.addLost(3);
    store.addGap(1000, 10_000);
    store.downSinceMs = 5;
    store.reset();
    expect([
      store.authentications.length,
      store.adapters.size,
      store.lost,
      store.gaps.length,
    ]).toEqual([0, 0, 0, 0]);
    expect(store.downSinceMs).toBeUndefined();
  });
});

describe('the rate chart across a disconnection (review D9)', () => {
  it('marks exactly the seconds that overlap a gap (or the current outage) as unknown', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 200_000, max: 10_000_000 }),
        fc.array(
          fc.record({
            endBack: fc.integer({ min: 0, max: 150_000 }),
            ms: fc.integer({ min: 1, max: 30_000 }),
          }),
          { maxLength: 4 },
        ),
        fc.option(fc.integer({ min: 0, max: 150_000 }), { nil: undefined }),
        fc.array(fc.integer({ min: 0, max: 130 }), { maxLength: 40 }),
        (nowMs, gaps, downBack, busySecondsBack) => {
          const store = new Store();
          for (const g of gaps) store.addGap(g.ms, nowMs - g.endBack);
          store.downSinceMs = downBack === undefined ? undefined : nowMs - downBack;
          const now = Math.floor(nowMs / 1000);
          for (const back of [...new Set(busySecondsBack)].sort((a, b) => b - a))
            store.rates.push([now - back, 5, 1]);
          const series = store.rateSeries(nowMs);
          const spans = store.gaps.map((g) => [g.atMs - g.ms, g.atMs]);
          if (store.downSinceMs !== undefined) spans.push([store.downSinceMs, nowMs + 1]);
          let nulls = 0;
          for (let at = 0; at < RATE_WINDOW_SECONDS; at++) {
            const start = (now - (RATE_WINDOW_SECONDS - 1 - at)) * 1000;
            const inGap = spans.some(([from, to]) => from! < start + 1000 && to! > start);
            if ((series.received[at] === null) !== inGap) return false;
            if ((series.lost[at] === null) !== inGap) return false;
            if (inGap) nulls++;
            // Outside a gap a second with nothing counted is a real zero.
            else if (series.received[at] === undefined) return false;
          }
          return series.gapSeconds === nulls;
        },
      ),
    );
  });

  it('a ten-second outage in a busy minute is ten or eleven unknown seconds, not zeros', () => {
    const store = new Store();
    const nowMs = 1_000_000_500;
    const now = Math.floor(nowMs / 1000);
    for (let back = 60; back >= 0; back--) store.rates.push([now - back, 10, 0]);
    store.addGap(10_000, nowMs - 20_000);
    const series = store.rateSeries(nowMs);
    expect(series.gapSeconds).toBeGreaterThanOrEqual(10);
    expect(series.gapSeconds).toBeLessThanOrEqual(11);
    expect(series.received.filter((v) => v === 0).length).toBe(RATE_WINDOW_SECONDS - 61);
  });
});

describe('the keyword box', () => {
  it('says why a mask is not used', () => {
    expect(keywordProblem('xyz')).toBe(
      '"xyz" is not hex (digits 0-9, a-f, optionally 0x): not filtering by keyword',
    );
    expect(keywordProblem('1'.repeat(17))).toMatch(/more than 16 hex digits/);
  });
});
