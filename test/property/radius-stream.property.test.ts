/**
 * The RadSec stream framer (src/radius/stream-framer.ts) under random
 * chunking, random packet sizes, bad and giant Length fields and random
 * garbage: it never throws, delivers exactly the packets before the first
 * bad Length in order, and never holds more than one partial packet.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RadiusStreamFramer } from '../../src/radius/index.js';

function packet(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 4; i < length; i++) bytes[i] = (seed + i) & 0xff;
  bytes[0] = 1 + (seed % 12);
  bytes[1] = seed & 0xff;
  bytes[2] = length >>> 8;
  bytes[3] = length & 0xff;
  return bytes;
}

/** Cuts `bytes` at the drawn points (sorted, deduplicated). */
function chunks(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let at = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.slice(at, p)); // slice: each chunk its own buffer, as sockets deliver
    at = p;
  }
  return out;
}

describe('RadiusStreamFramer under random input', () => {
  it('valid streams: every packet out, byte for byte, whatever the chunking and maximum', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 20, max: 6000 }),
        fc.array(fc.tuple(fc.integer({ min: 20, max: 6000 }), fc.nat(255)), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (max, specs, cuts) => {
          const packets = specs.map(([length, seed]) => packet(Math.min(length, max), seed));
          const stream = new Uint8Array(packets.reduce((n, p) => n + p.length, 0));
          let at = 0;
          for (const p of packets) {
            stream.set(p, at);
            at += p.length;
          }
          const framer = new RadiusStreamFramer({ maxPacketLength: max });
          const out: Uint8Array[] = [];
          for (const chunk of chunks(stream, cuts)) {
            expect(framer.push(chunk, (p) => out.push(p.slice()))).toBeUndefined();
            expect(framer.buffered).toBeLessThanOrEqual(max);
          }
          expect(out).toEqual(packets);
          expect(framer.buffered).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a bad or giant Length ends the stream: the packets before it out, nothing after, no throw', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 20, max: 300 }), { maxLength: 5 }),
        fc.oneof(fc.integer({ min: 0, max: 19 }), fc.integer({ min: 4097, max: 65535 })),
        fc.array(fc.integer({ min: 20, max: 300 }), { maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (before, badLength, after, cuts) => {
          const good = before.map((n, i) => packet(n, i));
          const bad = packet(20, 99);
          bad[2] = badLength >>> 8;
          bad[3] = badLength & 0xff;
          const all = [...good, bad, ...after.map((n, i) => packet(n, i + 50))];
          const stream = new Uint8Array(all.reduce((n, p) => n + p.length, 0));
          let at = 0;
          for (const p of all) {
            stream.set(p, at);
            at += p.length;
          }
          const framer = new RadiusStreamFramer();
          const out: Uint8Array[] = [];
          let failure;
          for (const chunk of chunks(stream, cuts)) {
            failure = framer.push(chunk, (p) => out.push(p.slice())) ?? failure;
            expect(framer.buffered).toBeLessThanOrEqual(4096);
          }
          expect(out).toEqual(good);
          expect(failure?.code).toBe(badLength < 20 ? 'length-too-short' : 'length-too-long');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('random garbage in random chunks: never throws, never holds more than maxPacketLength', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 700 }), { maxLength: 30 }),
        fc.integer({ min: 20, max: 1000 }),
        (garbage, max) => {
          const framer = new RadiusStreamFramer({ maxPacketLength: max });
          let delivered = 0;
          for (const chunk of garbage) {
            framer.push(chunk, (p) => {
              expect(p.length).toBeGreaterThanOrEqual(20);
              expect(p.length).toBeLessThanOrEqual(max);
              expect(p.length).toBe(((p[2] as number) << 8) | (p[3] as number));
              delivered++;
            });
            expect(framer.buffered).toBeLessThanOrEqual(max);
          }
          expect(framer.packets).toBe(delivered);
        },
      ),
      { numRuns: 500 },
    );
  });
});
