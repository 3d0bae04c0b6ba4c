/**
 * The Interface Statistics Block writer, checked against an independent
 * decoding of the block written here from the pcapng draft's figure (block
 * type 5, interface id, timestamp high/low, options 2–8), and read back by
 * netrx's reader (which must step over it).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concat, fromHex, toHex } from '../../bytes/index.js';
import {
  NANOSECONDS,
  PcapngWriter,
  readCapture,
  type InterfaceStatisticsToWrite,
} from './index.js';

interface DecodedIsb {
  interfaceId: number;
  units: bigint;
  options: Map<number, Uint8Array[]>;
}

/** The ISBs of a pcapng byte stream, decoded by hand (no netrx code). */
function isbs(bytes: Uint8Array, little: boolean): DecodedIsb[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: DecodedIsb[] = [];
  for (let at = 0; at < bytes.length;) {
    const type = view.getUint32(at, little);
    const length = view.getUint32(at + 4, little);
    expect(view.getUint32(at + length - 4, little)).toBe(length);
    expect(length % 4).toBe(0);
    if (type === 5) {
      const options = new Map<number, Uint8Array[]>();
      let o = at + 20;
      for (;;) {
        const code = view.getUint16(o, little);
        const size = view.getUint16(o + 2, little);
        if (code === 0) break;
        const list = options.get(code) ?? [];
        list.push(bytes.subarray(o + 4, o + 4 + size));
        options.set(code, list);
        o += 4 + ((size + 3) & ~3);
      }
      out.push({
        interfaceId: view.getUint32(at + 8, little),
        units:
          (BigInt(view.getUint32(at + 12, little)) << 32n) |
          BigInt(view.getUint32(at + 16, little)),
        options,
      });
    }
    at += length;
  }
  return out;
}

function u64(value: Uint8Array | undefined, little: boolean): bigint | undefined {
  if (value === undefined) return undefined;
  expect(value.length).toBe(8);
  return new DataView(value.buffer, value.byteOffset, 8).getBigUint64(0, little);
}

function time(value: Uint8Array | undefined, little: boolean): bigint | undefined {
  if (value === undefined) return undefined;
  const view = new DataView(value.buffer, value.byteOffset, 8);
  return (BigInt(view.getUint32(0, little)) << 32n) | BigInt(view.getUint32(4, little));
}

describe('PcapngWriter.statistics (Interface Statistics Block)', () => {
  it('writes the draft layout: id, timestamp, isb_starttime/endtime, counters, end of options', () => {
    const w = new PcapngWriter({ userApplication: '' });
    w.sectionHeader();
    w.addInterface({ linkType: 1 }); // microseconds
    const isb = w.statistics({
      timestamp: 5_000_000_000n,
      startTime: 1_000_000_000n,
      endTime: 5_000_000_000n,
      received: 10n,
      dropped: 3n,
      delivered: 7n,
    });
    expect(toHex(isb)).toBe(
      toHex(
        fromHex(
          '05000000 58000000 00000000 00000000 404b4c00' +
            ' 0200 0800 00000000 40420f00' +
            ' 0300 0800 00000000 404b4c00' +
            ' 0400 0800 0a00000000000000' +
            ' 0500 0800 0300000000000000' +
            ' 0800 0800 0700000000000000' +
            ' 0000 0000 58000000',
        ),
      ),
    );
  });

  it('refuses an unknown interface, a negative time and a counter past 64 bits', () => {
    const w = new PcapngWriter();
    expect(() => w.statistics({ timestamp: 0n })).toThrow(RangeError);
    w.sectionHeader();
    expect(() => w.statistics({ timestamp: 0n })).toThrow(RangeError);
    w.addInterface({ linkType: 1 });
    expect(() => w.statistics({ interfaceId: 1, timestamp: 0n })).toThrow(RangeError);
    expect(() => w.statistics({ timestamp: -1000n })).toThrow(RangeError);
    expect(() => w.statistics({ timestamp: 0n, dropped: 2n ** 64n })).toThrow(RangeError);
    expect(() => w.statistics({ timestamp: 0n, received: -1n })).toThrow(RangeError);
  });

  it('property: every field decodes back, in either byte order and any resolution; the reader steps over it', () => {
    const counter = fc.option(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { nil: undefined });
    const ns = fc.option(fc.bigInt({ min: 0n, max: 2n ** 62n }), { nil: undefined });
    fc.assert(
      fc.property(
        fc.constantFrom<'little' | 'big'>('little', 'big'),
        fc.constantFrom(
          NANOSECONDS,
          { base: 10, exponent: 6 } as const,
          {
            base: 2,
            exponent: 20,
          } as const,
        ),
        fc.record({
          timestamp: fc.bigInt({ min: 0n, max: 2n ** 62n }),
          startTime: ns,
          endTime: ns,
          received: counter,
          dropped: counter,
          filterAccepted: counter,
          osDropped: counter,
          delivered: counter,
          comments: fc.option(fc.array(fc.string({ maxLength: 40 }), { maxLength: 3 }), {
            nil: undefined,
          }),
        }),
        (byteOrder, resolution, drawn) => {
          const stats = Object.fromEntries(
            Object.entries(drawn).filter(([, v]) => v !== undefined),
          ) as unknown as InterfaceStatisticsToWrite;
          const little = byteOrder === 'little';
          const w = new PcapngWriter({ byteOrder });
          const toUnits = (t: bigint) =>
            resolution.base === 2
              ? (t << 20n) / 1_000_000_000n
              : t / 10n ** BigInt(9 - resolution.exponent);
          const bytes = concat([
            w.sectionHeader(),
            w.addInterface({ linkType: 1, resolution }),
            w.packet({ timestamp: 1_000n, data: fromHex('0102') }),
            w.statistics(stats),
            w.packet({ timestamp: 2_000n, data: fromHex('0304') }),
          ]);
          const [isb, ...rest] = isbs(bytes, little);
          expect(rest).toEqual([]);
          expect(isb?.interfaceId).toBe(0);
          expect(isb?.units).toBe(toUnits(drawn.timestamp));
          const o = isb?.options ?? new Map<number, Uint8Array[]>();
          const one = (code: number) => o.get(code)?.[0];
          expect(time(one(2), little)).toBe(
            drawn.startTime === undefined ? undefined : toUnits(drawn.startTime),
          );
          expect(time(one(3), little)).toBe(
            drawn.endTime === undefined ? undefined : toUnits(drawn.endTime),
          );
          expect(u64(one(4), little)).toBe(drawn.received);
          expect(u64(one(5), little)).toBe(drawn.dropped);
          expect(u64(one(6), little)).toBe(drawn.filterAccepted);
          expect(u64(one(7), little)).toBe(drawn.osDropped);
          expect(u64(one(8), little)).toBe(drawn.delivered);
          const comments = (o.get(1) ?? []).map((c) => new TextDecoder().decode(c));
          expect(comments).toEqual(drawn.comments ?? []);
          const read = readCapture(bytes);
          expect(read.ok).toBe(true);
          if (read.ok)
            expect(read.value.records.map((r) => toHex(r.data))).toEqual(['0102', '0304']);
        },
      ),
      { numRuns: 200 },
    );
  });
});
