import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LiteralMatcher, MultiMatcher } from './matcher.js';

/** Where a pattern first ends in `input` (offset past its last byte), by brute force. */
function firstEnd(input: Uint8Array, pattern: Uint8Array): number {
  outer: for (let end = pattern.length; end <= input.length; end++) {
    for (let i = 0; i < pattern.length; i++) {
      if (input[end - pattern.length + i] !== pattern[i]) continue outer;
    }
    return end;
  }
  return -1;
}

/** Splits `input` at the drawn cut points. */
function chunk(input: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let last = 0;
  for (const p of [...points, input.length]) {
    out.push(input.subarray(last, p));
    last = p;
  }
  return out;
}

// A small alphabet makes partial matches and overlaps (the hard cases) common.
const byte = fc.integer({ min: 0, max: 3 }).map((b) => b + 0x61);
const bytes = (max: number) => fc.array(byte, { maxLength: max }).map((a) => Uint8Array.from(a));

describe('matcher (property)', () => {
  it('finds the first occurrence whatever the chunking, for any pattern set', () => {
    fc.assert(
      fc.property(
        fc.array(
          bytes(6).filter((p) => p.length > 0),
          { minLength: 1, maxLength: 4 },
        ),
        bytes(200),
        fc.array(fc.nat(), { maxLength: 30 }),
        (patterns, input, cuts) => {
          const ends = patterns.map((p) => firstEnd(input, p));
          const earliest = Math.min(...ends.filter((e) => e >= 0));
          const expected = Number.isFinite(earliest)
            ? { index: ends.indexOf(earliest), end: earliest }
            : undefined;
          const matcher = new MultiMatcher(patterns);
          let offset = 0;
          let found: { index: number; end: number } | undefined;
          for (const piece of chunk(input, cuts)) {
            const hit = matcher.feed(piece);
            if (hit !== undefined) {
              found = { index: hit.index, end: offset + hit.end };
              break;
            }
            offset += piece.length;
          }
          expect(found).toEqual(expected);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('keeps no memory of unmatched input: 50 MB through a matcher in bounded state', () => {
    const matcher = new LiteralMatcher(new TextEncoder().encode('NEVER-THERE'));
    const block = new Uint8Array(1 << 20);
    for (let i = 0; i < block.length; i++) block[i] = 0x41 + (i % 23);
    const heapBefore = process.memoryUsage().heapUsed;
    let hits = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < block.length; i++) if (matcher.step(block[i] as number)) hits++;
    }
    expect(hits).toBe(0);
    // The matcher owns only its pattern and failure table; no growth with input.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(8 * 1024 * 1024);
  });
});
