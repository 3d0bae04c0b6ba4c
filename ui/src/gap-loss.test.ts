/**
 * Review M3: the events a page missed while the host was away, from the
 * host's `eventsWritten` and the page's own count on either side of the gap.
 * The page itself: test/interop/dashboard.test.ts (a real restart).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closeReason } from './capture-client.js';
import { GapLedger, lostFigure } from './gap-loss.js';
import { Store, type HostSnapshot } from './store.js';

const OLD = 1_000;
const NEW = 90_000;

describe('the gap ledger (review M3)', () => {
  it('counts a blip of the same host instance exactly from its counters', () => {
    const ledger = new GapLedger();
    ledger.snapshot(10, OLD, 100, 0, 0); // the page opened late: 100 written before, not lost
    ledger.snapshot(20, OLD, 150, 48, 0); // connected: 2 in flight, not a gap
    ledger.reconnected(3_000, 50, 10_000);
    const gap = ledger.snapshot(30, OLD, 200, 65, ledger.connection);
    // Written 50 since the last snapshot, 17 of them arrived since: 33 missed.
    expect(gap).toEqual({ atMs: 10_000, ms: 3_000, lost: 33, exact: true, restarted: false });
    expect(lostFigure(4, ledger)).toBe('37 (33 in a gap)');
    // Two were still on their way (stamped before the snapshot), one is newer.
    ledger.arrived(29);
    ledger.arrived(30);
    ledger.arrived(31);
    expect(ledger.lost).toBe(31);
  });

  it('bounds a restart from below: the old host up to its last snapshot, the new one before the page was back', () => {
    const ledger = new GapLedger();
    ledger.snapshot(10, OLD, 100, 0, 0);
    ledger.snapshot(20, OLD, 300, 190, 0);
    // Killed; the page got 195 in all (5 of the 200 written since its first snapshot never came).
    ledger.reconnected(7_000, 195, 20_000);
    // The new host wrote 40 before the page's copy opened; 12 arrived by the snapshot.
    const gap = ledger.snapshot(30, NEW, 40, 195 + 12, ledger.connection);
    expect(gap).toMatchObject({ lost: 5 + 28, exact: false, restarted: true });
    expect(lostFigure(0, ledger)).toBe('at least 33 (≥ 33 in a gap)');
  });

  it('waits for a snapshot asked for after the reconnection', () => {
    const ledger = new GapLedger();
    ledger.snapshot(10, OLD, 10, 0, 0);
    const asked = ledger.connection;
    ledger.reconnected(2_000, 10, 5_000);
    // Asked while down, answered by the new host before the page's copy opened.
    expect(ledger.snapshot(20, NEW, 30, 10, asked)).toBeUndefined();
    expect(ledger.lost).toBe(0);
    expect(ledger.snapshot(30, NEW, 31, 30, ledger.connection)?.lost).toBe(11);
  });

  it('says the reported loss and nothing more with no gap', () => {
    const ledger = new GapLedger();
    ledger.snapshot(10, OLD, 10, 3, 0);
    expect(lostFigure(7, ledger)).toBe('7');
  });

  it('never counts more than was missed, and a blip exactly (property)', () => {
    // A model host and page: events are stamped 1, 2, 3…; the page gets all
    // of them while connected (some after the snapshot), none while down.
    const step = fc.record({
      written: fc.nat(300),
      down: fc.nat(300),
      late: fc.nat(30),
      gap: fc.constantFrom('none', 'blip', 'restart'),
    });
    fc.assert(
      fc.property(fc.nat(500), fc.array(step, { maxLength: 12 }), (before, steps) => {
        const ledger = new GapLedger();
        let clock = before;
        let started = OLD;
        let written = before;
        let accounted = 0;
        let missed = 0;
        let restarts = 0;
        // What the store passes: received, reported lost and counted in gaps.
        const write = (n: number): number[] => {
          written += n;
          return Array.from({ length: n }, () => ++clock);
        };
        ledger.snapshot(clock, started, written, accounted, ledger.connection);
        for (const s of steps) {
          if (s.gap !== 'none') {
            missed += write(s.down).length;
            if (s.gap === 'restart') {
              // The new host counts from 0; the old one's last events were never seen.
              restarts++;
              started = OLD + restarts;
              written = 0;
            }
            ledger.reconnected(1_000, accounted + ledger.lost, clock);
          }
          const stamps = write(s.written);
          const late = stamps.slice(stamps.length - Math.min(s.late, stamps.length));
          accounted += stamps.length - late.length;
          for (const t of stamps.slice(0, stamps.length - late.length)) ledger.arrived(t);
          ledger.snapshot(clock, started, written, accounted + ledger.lost, ledger.connection);
          for (const t of late) ledger.arrived(t);
          accounted += late.length;
          expect(ledger.lost).toBeGreaterThanOrEqual(0);
          expect(ledger.lost).toBeLessThanOrEqual(missed);
          if (restarts === 0) expect(ledger.lost).toBe(missed);
        }
      }),
    );
  });
});

/** A host snapshot with these counters; `matched`: per session, what its filter let in. */
function snapshot(
  startedAtMs: number,
  eventsWritten: number,
  matched: Readonly<Record<string, number>> = {},
): HostSnapshot {
  return {
    atMs: 0,
    startedAtMs,
    eventsWritten,
    sessions: Object.entries(matched).map(([name, n]) => ({
      name,
      delivered: n,
      lost: 0,
      matched: n,
    })),
    authentications: { total: 0, byResult: {}, recent: [] },
    websocket: { open: 0, accepted: 0, closeCodes: {} },
    adapters: [],
    scripts: [],
  };
}

describe('the store and its chart with a gap (review M3)', () => {
  it('adds a restart gap to the lost figure and to the chart window', () => {
    const store = new Store();
    store.applySnapshot(snapshot(OLD, 500));
    store.addLost(2);
    store.addGap(4_000, 100_000);
    store.applySnapshot(snapshot(NEW, 60));
    expect(store.gapLoss.lost).toBe(60);
    expect(lostFigure(store.lost, store.gapLoss)).toBe('at least 62 (≥ 60 in a gap)');
    const series = store.rateSeries(101_000);
    expect(series).toMatchObject({ gapLost: 60, gapLostExact: false });
    // Two minutes later the gap has left the chart, not the totals.
    expect(store.rateSeries(100_000 + 121_000).gapLost).toBe(0);
    store.reset();
    expect(store.gapLoss.lost).toBe(0);
  });
});

describe('a gap on a filtered session (review M3 residue)', () => {
  it("weighs a restart gap against the watched session's matched count, not every provider's", () => {
    const store = new Store();
    store.reset('radius-only');
    store.applySnapshot(snapshot(OLD, 500, { default: 480, 'radius-only': 40 }));
    store.addGap(4_000, 100_000);
    // The new host wrote 60 events; 7 of them were RADIUS's.
    store.applySnapshot(snapshot(NEW, 60, { default: 55, 'radius-only': 7 }));
    expect(store.gapLoss.lost).toBe(7);
  });

  it('falls back to eventsWritten for a host that gives no matched count, or another session', () => {
    const store = new Store();
    store.reset('elsewhere');
    store.applySnapshot(snapshot(OLD, 500, { default: 480 }));
    store.addGap(4_000, 100_000);
    store.applySnapshot(snapshot(NEW, 60, { default: 55 }));
    expect(store.gapLoss.lost).toBe(60);
  });

  it('keeps the session across a reset without a name (a reconnection)', () => {
    const store = new Store();
    store.reset('radius-only');
    store.reset();
    expect(store.session).toBe('radius-only');
  });
});

describe('the connection status (review M3)', () => {
  it('says a connection that ended without a close frame was lost, not "code 1006"', () => {
    expect(closeReason(1006, '')).toBe('connection lost (host stopped?)');
    expect(closeReason(1001, '')).toBe('code 1001');
    expect(closeReason(1001, 'host shutting down')).toBe('host shutting down');
  });
});
