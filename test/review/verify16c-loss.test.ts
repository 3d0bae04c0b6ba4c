/**
 * verify16c (outside check of review16c N2/N5's fix): a loss floor only
 * ever raises where a run's count starts (`LossLedger.raise`, "growth
 * below it was counted by another holder"). A reader that counted more
 * than an older floor says (its client had not read it yet when the floor
 * was stored) and then takes the host again must not count that growth
 * twice. The hand mutation "raise may lower" (H6) survived main's suites;
 * this property kills it (seen).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LossLedger } from '../../src/node/cluster/loss-reports.js';

const report = (lost: number, prev: number) =>
  new TextEncoder().encode(JSON.stringify({ instance: 'run1', lost, prev }));

describe('verify16c: a loss floor never lowers a count', () => {
  it('counted, floored at any value, then grown: only the growth above the higher is added', () => {
    fc.assert(
      fc.property(
        fc.nat(1000),
        fc.nat(1000),
        fc.integer({ min: 1, max: 1000 }),
        (seen, floor, grow) => {
          const ledger = new LossLedger(8);
          if (seen > 0)
            expect(ledger.add('lab-1', 'run1', report(seen, 0), 0)).toEqual({
              kind: 'grew',
              by: seen,
            });
          ledger.raise('lab-1', 'run1', floor, 0);
          const top = Math.max(seen, floor);
          expect(ledger.add('lab-1', 'run1', report(top + grow, seen), 0)).toEqual({
            kind: 'grew',
            by: grow,
          });
        },
      ),
    );
  });
});
