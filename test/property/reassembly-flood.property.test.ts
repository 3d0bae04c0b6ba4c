/**
 * Reassembly under a fragment flood: one attacker source holding as much as
 * the limits let it must not keep a victim source's datagram from
 * completing, and the byte bounds (in all and per source) hold for drawn
 * limits (the review's reassembly-exhaustion finding).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Reassembly } from '../../src/link/reassembly.js';
import { VirtualClock } from '../../src/testing/index.js';

const header = new Uint8Array(20);

describe('Reassembly under a flood from one source', () => {
  it('always delivers the victim datagram, and holds its byte bounds', () => {
    fc.assert(
      fc.property(
        fc.record({
          maxDatagrams: fc.integer({ min: 2, max: 32 }),
          maxPerSource: fc.integer({ min: 1, max: 8 }),
          maxBytes: fc.integer({ min: 2048, max: 300_000 }),
          sourceShare: fc.double({ min: 0.1, max: 0.9, noNaN: true }),
        }),
        fc.integer({ min: 1, max: 40 }), // attacker datagrams
        fc.integer({ min: 1, max: 200 }), // attacker fragments per datagram
        fc.integer({ min: 1, max: 64 }), // attacker fragment size, in 8-byte units
        fc.integer({ min: 1, max: 3 }), // victim fragments
        fc.nat({ max: 50 }), // where the victim's fragments fall in the flood
        (drawn, datagrams, perDatagram, units, victimPieces, at) => {
          // A source's share of the table is less than the table (as the defaults, 4 of 16).
          fc.pre(drawn.maxPerSource < drawn.maxDatagrams);
          const maxSourceBytes = Math.max(1, Math.floor(drawn.maxBytes * drawn.sourceShare));
          const limits = { ...drawn, maxSourceBytes, maxPieces: 256 };
          const reassembly = new Reassembly(new VirtualClock(), 65_515, limits);
          const chunk = new Uint8Array(units * 8);
          // The victim's datagram: 8-byte pieces, smaller than the victim's share.
          const piece =
            Math.min(
              64,
              Math.floor(Math.min(maxSourceBytes, drawn.maxBytes / 2) / 8 / victimPieces),
            ) * 8;
          fc.pre(piece > 0);
          const victim = (i: number) =>
            reassembly.add(
              'victim',
              i * piece,
              i < victimPieces - 1,
              new Uint8Array(piece).fill(i),
              header,
              'victim',
            );
          let outcome = '';
          let sent = 0;
          for (let id = 0; id < datagrams; id++) {
            for (let i = 0; i < perDatagram; i++) {
              if (sent === at && outcome === '') {
                for (let v = 0; v < victimPieces - 1; v++) victim(v);
              }
              reassembly.add(`a${id}`, i * chunk.length, true, chunk, header, 'attacker');
              sent++;
              const stats = reassembly.stats();
              expect(stats.bytes).toBeLessThanOrEqual(drawn.maxBytes);
              expect(stats.inProgress).toBeLessThanOrEqual(drawn.maxDatagrams);
            }
          }
          if (sent <= at) for (let v = 0; v < victimPieces - 1; v++) victim(v);
          outcome = victim(victimPieces - 1);
          expect(outcome).toBe('complete');
          expect(reassembly.last!.payload.length).toBe(piece * victimPieces);
          reassembly.close();
          expect(reassembly.stats().bytes).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
    // 300 floods of up to thousands of fragments: about 20 s on an idle core;
    // the default 30 s timed out once on a loaded machine.
  }, 120_000);
});
