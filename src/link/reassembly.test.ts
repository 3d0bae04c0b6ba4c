import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../testing/index.js';
import { Reassembly, type FragmentOutcome } from './reassembly.js';

const header = Uint8Array.of(0x45);
const piece = (units: number, fill = 0xab) => new Uint8Array(units * 8).fill(fill);

describe('Reassembly: untrusted layouts', () => {
  it('a piece held past the end the last fragment sets drops the datagram, never throws (review 9 P1)', () => {
    const reassembly = new Reassembly(new VirtualClock(), 65_515);
    expect(reassembly.add('k', 24, true, piece(1), header)).toBe('pending');
    expect(reassembly.add('k', 0, true, piece(1), header)).toBe('pending');
    expect(reassembly.add('k', 16, false, piece(1), header)).toBe('overlap');
    expect(reassembly.stats()).toMatchObject({ overlaps: 1, bytes: 0, reassembled: 0 });
    expect(reassembly.add('k', 8, true, piece(1), header)).toBe('discarded');
  });

  it('a first header longer than the base lowers the limit, also when it comes after the last fragment (review 9 P3)', () => {
    const reassembly = new Reassembly(new VirtualClock(), 64, {}, 20);
    expect(reassembly.add('k', 8, false, piece(7), header)).toBe('pending'); // ends at 64
    expect(reassembly.add('k', 0, true, piece(1), new Uint8Array(24))).toBe('too-large');
    expect(reassembly.stats()).toMatchObject({ tooLarge: 1, bytes: 0 });
    expect(reassembly.add('x', 0, true, piece(1), new Uint8Array(24))).toBe('pending');
    expect(reassembly.add('x', 8, false, piece(7).subarray(4), header)).toBe('complete'); // 24 + 52 = 20 + 56
  });

  it('holds at most maxPieces fragments per datagram: one more drops it, so 8-byte pieces stay bounded (review 9 P4)', () => {
    const reassembly = new Reassembly(new VirtualClock(), 65_515);
    for (let i = 0; i < 64; i++) {
      expect(reassembly.add('k', 8 + i * 16, true, piece(1), header)).toBe('pending');
    }
    expect(reassembly.add('k', 8 + 64 * 16, true, piece(1), header)).toBe('too-many-pieces');
    expect(reassembly.stats()).toMatchObject({ tooManyPieces: 1, bytes: 0 });
    expect(reassembly.add('k', 0, true, piece(1), header)).toBe('discarded');
  });

  it('16 datagrams of 2,048 8-byte fragments each hold at most 16 x 64 pieces', () => {
    const reassembly = new Reassembly(new VirtualClock(), 65_515, { maxPieces: 64 });
    let most = 0;
    for (let d = 0; d < 16; d++) {
      for (let i = 0; i < 2048; i++) {
        reassembly.add(`d${d}`, 8 + i * 16, true, piece(1), header);
        most = Math.max(most, reassembly.stats().bytes);
      }
    }
    expect(most).toBeLessThanOrEqual(16 * 64 * 8);
    expect(reassembly.stats()).toMatchObject({ tooManyPieces: 16, inProgress: 16, bytes: 0 });
  });

  it('any offsets, lengths and flags: never throws, never completes with a hole, held bytes stay counted', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            key: fc.constantFrom('a', 'b', 'c'),
            source: fc.constantFrom('s1', 's2'),
            unit: fc.integer({ min: 0, max: 8 }),
            // Mostly whole 8-byte units (acceptable when not last), sometimes any length.
            length: fc.oneof(
              { weight: 4, arbitrary: fc.integer({ min: 1, max: 3 }).map((u) => u * 8) },
              { weight: 1, arbitrary: fc.integer({ min: 0, max: 40 }) },
            ),
            more: fc.boolean(),
            advance: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 20_000 })),
          }),
          { minLength: 1, maxLength: 24 },
        ),
        fc.record({
          maxDatagrams: fc.integer({ min: 1, max: 4 }),
          maxPerSource: fc.integer({ min: 1, max: 4 }),
          maxPieces: fc.integer({ min: 1, max: 8 }),
          maxBytes: fc.integer({ min: 8, max: 1000 }),
          timeoutMs: fc.integer({ min: 1, max: 30_000 }),
        }),
        (fragments, limits) => {
          const clock = new VirtualClock();
          const reassembly = new Reassembly(clock, 200, limits);
          const outcomes: FragmentOutcome[] = [];
          let holes = 0;
          let inProgress = 0;
          for (const f of fragments) {
            const outcome = reassembly.add(
              f.key,
              f.unit * 8,
              f.more,
              new Uint8Array(f.length).fill(0xab),
              header,
              f.source,
            );
            outcomes.push(outcome);
            inProgress = Math.max(inProgress, reassembly.stats().inProgress);
            if (outcome === 'complete' && reassembly.last!.payload.some((b) => b !== 0xab)) holes++;
            clock.advance(f.advance);
          }
          expect(outcomes.length).toBe(fragments.length);
          expect(holes).toBe(0);
          expect(inProgress).toBeLessThanOrEqual(limits.maxDatagrams);
          expect(reassembly.stats().bytes).toBeLessThanOrEqual(limits.maxBytes);
          reassembly.close();
          expect(reassembly.stats()).toMatchObject({ bytes: 0, inProgress: 0 });
          expect(clock.pendingTimers).toBe(0);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
