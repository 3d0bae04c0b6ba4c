import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClaimedLoss } from './claimed-loss.js';
import { LossLedger } from './loss-reports.js';

const report = (lost: number, prev: number) =>
  new TextEncoder().encode(JSON.stringify({ instance: 'run1', lost, prev }));

/**
 * Cumulative reports of one run: each one's `prev` is the one before's
 * `lost`; drawn with or without the run's announcement first (lost 0,
 * review16c N10), which as the kept first report hid a later report's
 * growth until the ledger recorded an unchanged first report's count.
 */
const runReports = fc
  .tuple(fc.boolean(), fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 30 }))
  .map(([announced, growths]) => {
    let lost = 0;
    const reports = growths.map((g) => {
      const prev = lost;
      lost += g;
      return { lost, prev };
    });
    return announced ? [{ lost: 0, prev: 0 }, ...reports] : reports;
  });

/** What a ledger adds for reports, kept ones (replayed by `take`) first. */
function counted(ledger: LossLedger, reports: readonly { instance: string; data: Uint8Array }[]) {
  let sum = 0;
  for (const r of reports) {
    const outcome = ledger.add('lab-1', r.instance, r.data);
    if (outcome.kind === 'grew') sum += outcome.by;
  }
  return sum;
}

describe('ClaimedLoss (loss counted only for held claims, review16 R5)', () => {
  it('kept reports, once the claim is ours, count exactly what a reader holding it throughout would (fast-check)', () => {
    fc.assert(
      fc.property(runReports, fc.nat(), (reports, cut) => {
        const at = cut % (reports.length + 1);
        const kept = new ClaimedLoss(16);
        for (const r of reports.slice(0, at)) {
          expect(kept.keep('lab-1', 'run1', report(r.lost, r.prev))).toBe(true);
        }
        const ledger = new LossLedger(16);
        let sum = counted(ledger, kept.take('lab-1'));
        sum += counted(
          ledger,
          reports.slice(at).map((r) => ({ instance: 'run1', data: report(r.lost, r.prev) })),
        );
        expect(sum).toBe(reports.at(-1)?.lost);
      }),
    );
  });

  it('kept reports counted above a loss floor add only the growth above it (fast-check)', () => {
    fc.assert(
      fc.property(runReports, fc.nat(), fc.nat(), (reports, cut, floorAt) => {
        const at = cut % (reports.length + 1);
        // The floor an earlier holder's client got: one of the reports' counts (or none).
        const floor =
          floorAt % (reports.length + 1) === 0 ? 0 : (reports[floorAt % reports.length]?.lost ?? 0);
        const kept = new ClaimedLoss(16);
        for (const r of reports.slice(0, at)) kept.keep('lab-1', 'run1', report(r.lost, r.prev));
        const ledger = new LossLedger(16);
        if (floor > 0) ledger.raise('lab-1', 'run1', floor);
        let sum = counted(ledger, kept.take('lab-1'));
        sum += counted(
          ledger,
          reports.slice(at).map((r) => ({ instance: 'run1', data: report(r.lost, r.prev) })),
        );
        expect(sum).toBe(Math.max(0, (reports.at(-1)?.lost ?? 0) - floor));
        expect(ledger.runsOf('lab-1')).toEqual(
          new Map([['run1', Math.max(floor, reports.at(-1)?.lost ?? 0)]]),
        );
      }),
    );
  });

  it('keeps at most maxRuns runs, forgets a host once taken', () => {
    const kept = new ClaimedLoss(2);
    expect(kept.keep('a', 'r1', report(1, 0))).toBe(true);
    expect(kept.keep('a', 'r1', report(2, 1))).toBe(true);
    expect(kept.keep('b', 'r1', report(1, 0))).toBe(true);
    expect(kept.keep('c', 'r1', report(1, 0))).toBe(false);
    expect(kept.take('a').map((r) => r.instance)).toEqual(['r1', 'r1']);
    expect(kept.take('a')).toEqual([]);
    expect(kept.keep('c', 'r1', report(1, 0))).toBe(true);
    expect(kept.take('b').map((r) => r.instance)).toEqual(['r1']);
  });
});
