import { describe, expect, it } from 'vitest';
import { namedFlags } from './flags.js';

describe('namedFlags', () => {
  it('sets, clears and reads each name on its own bit', () => {
    const f = namedFlags('a', 'b', 'c');
    let flags = 0;
    flags = f.with(flags, 'b', true);
    expect([f.has(flags, 'a'), f.has(flags, 'b'), f.has(flags, 'c')]).toEqual([false, true, false]);
    flags = f.with(flags, 'c', true);
    flags = f.with(flags, 'b', false);
    expect([f.has(flags, 'a'), f.has(flags, 'b'), f.has(flags, 'c')]).toEqual([false, false, true]);
    expect(flags).toBe(4);
  });

  it('refuses more names than bits', () => {
    expect(() => namedFlags(...Array.from({ length: 32 }, (_, i) => `f${i}`))).toThrow(RangeError);
  });
});
