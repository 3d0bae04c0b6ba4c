import { describe, expect, it } from 'vitest';
import { concat, equalBytes } from './concat.js';

describe('concat', () => {
  it('joins parts into one new buffer', () => {
    const out = concat([Uint8Array.of(1, 2), new Uint8Array(0), Uint8Array.of(3)]);
    expect(Array.from(out)).toEqual([1, 2, 3]);
  });

  it('stops at totalLength when one is given', () => {
    expect(Array.from(concat([Uint8Array.of(1, 2), Uint8Array.of(3, 4)], 3))).toEqual([1, 2, 3]);
    expect(Array.from(concat([Uint8Array.of(1)], 3))).toEqual([1, 0, 0]);
  });

  it('compares bytes', () => {
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(equalBytes(Uint8Array.of(1), Uint8Array.of(1, 2))).toBe(false);
  });
});
