import { describe, expect, it } from 'vitest';
import { ClaimedLoss } from './claimed-loss.js';
import { encodeLossFloor, parseLossFloor, parseLossFloorReportedAt } from './loss-floors.js';
import { LOSS_REPORT_RETENTION_MS, LossLedger } from './loss-reports.js';
import { resolveStreamLimits, wantedLossStream } from './stream-config.js';

const DAY = 24 * 3600 * 1000;
const report = (instance: string, lost: number, prev: number) =>
  new TextEncoder().encode(JSON.stringify({ instance, lost, prev }));

describe('LossLedger run slots (review16d D1)', () => {
  it('an announcement (lost 0) takes no slot: after more quiet runs than slots, a lossy run is counted', () => {
    const ledger = new LossLedger(2);
    for (let i = 0; i < 10; i++) {
      expect(ledger.add('lab-1', `quiet${i}`, report(`quiet${i}`, 0, 0), 0)).toEqual({
        kind: 'unchanged',
      });
    }
    expect(ledger.size).toBe(0);
    expect(ledger.add('lab-1', 'lossy', report('lossy', 3, 0), 0)).toEqual({ kind: 'grew', by: 3 });
    // Its next report counts from the recorded 3, and a replay of an older one adds nothing.
    expect(ledger.add('lab-1', 'lossy', report('lossy', 7, 3), 0)).toEqual({ kind: 'grew', by: 4 });
    expect(ledger.add('lab-1', 'lossy', report('lossy', 3, 0), 0)).toEqual({ kind: 'unchanged' });
    expect(ledger.runsOf('lab-1')).toEqual(new Map([['lossy', { lost: 7, reportedAt: 0 }]]));
  });

  it('when full, forgets the runs last reported a retention ago, and a forgotten run counts from its prev', () => {
    const ledger = new LossLedger(2, 1000);
    expect(ledger.add('a', 'r1', report('r1', 1, 0), 0).kind).toBe('grew');
    expect(ledger.add('a', 'r2', report('r2', 1, 0), 500).kind).toBe('grew');
    // Full, and neither run's reports have expired yet.
    expect(ledger.add('a', 'r3', report('r3', 2, 0), 999)).toEqual({ kind: 'untracked' });
    // r1's last report is a retention old: its slot goes to r3 (r2 stays).
    expect(ledger.add('a', 'r3', report('r3', 2, 0), 1000)).toEqual({ kind: 'grew', by: 2 });
    expect([...ledger.runsOf('a').keys()].sort()).toEqual(['r2', 'r3']);
    // r2, reported again, is not forgotten at 1500; r3 would be past 2000.
    expect(ledger.add('a', 'r2', report('r2', 4, 1), 1400)).toEqual({ kind: 'grew', by: 3 });
    expect(ledger.add('a', 'r1', report('r1', 5, 1), 1500)).toEqual({ kind: 'untracked' });
    expect(ledger.add('a', 'r1', report('r1', 5, 1), 2000)).toEqual({ kind: 'grew', by: 4 });
    expect([...ledger.runsOf('a').keys()].sort()).toEqual(['r1', 'r2']);
  });

  it('a floor of 0 takes no slot; a raised run is forgotten a retention after its floor date, not after the takeover', () => {
    const ledger = new LossLedger(1, 1000);
    expect(ledger.raise('a', 'r0', 0, 0)).toBe(true);
    expect(ledger.size).toBe(0);
    // Raised at 5000 from a floor that dates the run at 4200: forgotten from 5200 on.
    expect(ledger.raise('a', 'r1', 6, 5000, 4200)).toBe(true);
    expect(ledger.raise('a', 'r2', 1, 5100)).toBe(false);
    expect(ledger.add('a', 'r2', report('r2', 2, 0), 5199)).toEqual({ kind: 'untracked' });
    expect(ledger.add('a', 'r2', report('r2', 2, 0), 5200)).toEqual({ kind: 'grew', by: 2 });
    // The forgotten run is no longer among the host's runs (what its floor says).
    expect([...ledger.runsOf('a').keys()]).toEqual(['r2']);
    // A floor dated in the future (another clock) counts as dated now.
    expect(ledger.raise('b', 'r1', 6, 9000, 99_999)).toBe(true);
    expect(ledger.runsOf('b')).toEqual(new Map([['r1', { lost: 6, reportedAt: 9000 }]]));
  });

  it('forgets runs no sooner than the loss stream removes their reports (its max_age)', () => {
    const lossStream = wantedLossStream('lab', resolveStreamLimits({}));
    expect(LOSS_REPORT_RETENTION_MS * 1_000_000).toBe(lossStream.max_age);
    expect(LOSS_REPORT_RETENTION_MS).toBe(7 * DAY);
  });
});

describe('ClaimedLoss run slots (review16d D1)', () => {
  it('keeps no announcement, yet names its host; kept runs are forgotten a retention after their newest report', () => {
    const kept = new ClaimedLoss(1, 1000);
    for (let i = 0; i < 5; i++)
      expect(kept.keep('a', `q${i}`, report(`q${i}`, 0, 0), 0)).toBe(true);
    expect(kept.size).toBe(0);
    expect(kept.keep('a', 'r1', report('r1', 2, 0), 0)).toBe(true);
    expect(kept.keep('a', 'r1', report('r1', 3, 2), 600)).toBe(true);
    expect(kept.keep('b', 'r2', report('r2', 1, 0), 1599)).toBe(false);
    expect(kept.keep('b', 'r2', report('r2', 1, 0), 1600)).toBe(true);
    expect(kept.take('a')).toEqual([]);
    expect(kept.take('b').map((r) => r.instance)).toEqual(['r2']);
    expect(kept.size).toBe(0);
  });

  it('still keeps a malformed first report (counted malformed once the claim is ours)', () => {
    const kept = new ClaimedLoss(4);
    const other = report('someone-else', 0, 0);
    expect(kept.keep('a', 'r1', other, 0)).toBe(true);
    expect(kept.take('a')).toEqual([{ instance: 'r1', data: other }]);
  });
});

describe('loss floors carry when each run was last reported (review16d D1)', () => {
  it('round-trips the dates; a floor without them (an older netrx) dates none', () => {
    const floor = new Map([
      ['r1', 5],
      ['r2', 9],
    ]);
    const dated = encodeLossFloor(
      floor,
      new Map([
        ['r1', 1000],
        ['r2', 2000],
      ]),
    );
    expect(parseLossFloor(dated, 16)).toEqual(floor);
    expect(parseLossFloorReportedAt(dated)).toEqual(
      new Map([
        ['r1', 1000],
        ['r2', 2000],
      ]),
    );
    expect(parseLossFloorReportedAt(encodeLossFloor(floor))).toEqual(new Map());
    const odd = new TextEncoder().encode(
      JSON.stringify({ runs: { r1: 5 }, reportedAt: { r1: 'soon', 'bad name': 1, r2: 3 } }),
    );
    expect(parseLossFloorReportedAt(odd)).toEqual(new Map([['r2', 3]]));
    expect(parseLossFloorReportedAt(new TextEncoder().encode('{'))).toEqual(new Map());
  });
});
