import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchId, firstSentOf } from './batch-id.js';

describe('batch IDs carry their first send', () => {
  it('round-trips the time for any host, instance, batch and time (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9_-]{1,16}$/),
        fc.uuid(),
        fc.integer({ min: 1, max: 2 ** 40 }),
        fc.double({ min: 0, max: 4e12, noNaN: true }),
        (host, instance, batch, at) => {
          expect(firstSentOf(batchId(host, instance, batch, at))).toBe(Math.floor(at));
        },
      ),
    );
  });

  it('an older publisher’s ID (no time) and a stranger’s are not judged', () => {
    expect(firstSentOf('lab-1.run1.42')).toBeUndefined();
    expect(firstSentOf('lab-1.run1.42.tx')).toBeUndefined();
    expect(firstSentOf('lab-1.run1.loss.3')).toBeUndefined();
    expect(firstSentOf('lab-1.run1.7.t1700000000000')).toBe(1_700_000_000_000);
  });
});
