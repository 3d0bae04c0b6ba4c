import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecentKeys } from './recent-keys.js';

describe('RecentKeys', () => {
  it('remembers exactly the newest `capacity` distinct keys (fast-check over capacity and keys)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 }),
        fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 200 }),
        (capacity, keys) => {
          const recent = new RecentKeys<number>(capacity);
          const order: number[] = [];
          for (const key of keys) {
            recent.add(key);
            if (!order.includes(key)) order.push(key);
            if (order.length > capacity) order.shift();
          }
          expect(recent.size).toBe(order.length);
          for (const key of order) expect(recent.has(key)).toBe(true);
          expect(recent.size).toBeLessThanOrEqual(capacity);
        },
      ),
    );
  });

  it('forgets a deleted key and refuses a capacity below one', () => {
    const recent = new RecentKeys<string>(2);
    recent.add('a');
    recent.delete('a');
    expect(recent.has('a')).toBe(false);
    expect(() => new RecentKeys(0)).toThrow(RangeError);
  });

  it('tells each key the full ring pushes out, not one deleted before', () => {
    const forgotten: string[] = [];
    const recent = new RecentKeys<string>(2, (key) => forgotten.push(key));
    recent.add('a');
    recent.add('b');
    recent.delete('a');
    recent.add('c'); // a's slot: a was deleted already
    recent.add('d'); // b's slot
    expect(forgotten).toEqual(['b']);
    expect([recent.has('c'), recent.has('d')]).toEqual([true, true]);
  });
});
