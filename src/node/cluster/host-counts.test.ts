import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HostCounts, OTHER_HOSTS } from './host-counts.js';

describe('HostCounts', () => {
  it('keeps the sum over its hosts equal to the total, past its bound too (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(
          fc.tuple(
            fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'),
            fc.integer({ min: 1, max: 5 }),
          ),
          {
            maxLength: 60,
          },
        ),
        (maxHosts, adds) => {
          const counts = new HostCounts(maxHosts);
          for (const [host, by] of adds) counts.add(host, by);
          const byHost = counts.byHost();
          const named = Object.keys(byHost).filter((h) => h !== OTHER_HOSTS);
          expect(named.length).toBeLessThanOrEqual(maxHosts);
          expect(Object.values(byHost).reduce((a, b) => a + b, 0)).toBe(counts.total);
          expect(counts.total).toBe(adds.reduce((a, [, by]) => a + by, 0));
        },
      ),
    );
  });

  it('shows the hosts asked for at 0 where they have no count', () => {
    const counts = new HostCounts(4);
    counts.add('lab-1', 2);
    expect(counts.byHost(['lab-1', 'lab-2'])).toEqual({ 'lab-1': 2, 'lab-2': 0 });
  });
});
