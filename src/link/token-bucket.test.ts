import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../testing/index.js';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('allows a burst, then refills at the rate on the clock', () => {
    const clock = new VirtualClock();
    const bucket = new TokenBucket(clock, 2, 3);
    expect([1, 2, 3, 4].map(() => bucket.take())).toEqual([true, true, true, false]);
    clock.advance(499);
    expect(bucket.take()).toBe(false);
    clock.advance(1);
    expect(bucket.take()).toBe(true);
    clock.advance(60_000);
    expect([1, 2, 3, 4].map(() => bucket.take())).toEqual([true, true, true, false]);
  });

  it('validates its arguments', () => {
    const clock = new VirtualClock();
    expect(() => new TokenBucket(clock, -1, 1)).toThrow(RangeError);
    expect(() => new TokenBucket(clock, 1, 0.5)).toThrow(RangeError);
  });
});
