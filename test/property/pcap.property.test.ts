import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concat, fromHex } from '../../src/bytes/index.js';
import {
  PcapngWriter,
  PcapReader,
  PcapWriter,
  type Direction,
  type PcapRecord,
  type PcapReadResult,
} from '../../src/wire/pcap/index.js';

/** Feeds `bytes` cut at `cuts` (any numbers; taken modulo the length) and collects everything. */
function feed(
  bytes: Uint8Array,
  cuts: readonly number[],
  options = {},
): { records: PcapRecord[]; last: PcapReadResult } {
  const points = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % bytes.length)))].sort(
    (a, b) => a - b,
  );
  const reader = new PcapReader(options);
  const records: PcapRecord[] = [];
  let last: PcapReadResult = { kind: 'need-more' };
  const drain = (): void => {
    for (last = reader.next(); last.kind === 'record'; last = reader.next()) {
      records.push(last.record);
    }
  };
  let from = 0;
  for (const point of [...points, bytes.length]) {
    reader.push(bytes.subarray(from, point));
    from = point;
    drain();
  }
  reader.end();
  drain();
  return { records, last };
}

const plain = (records: PcapRecord[]): unknown[] =>
  records.map((r) => ({ ...r, data: [...r.data] }));

const PREFIXES = [
  '',
  'd4c3b2a1 0200 0400 00000000 00000000 ffff0000 01000000',
  'a1b23c4d 0002 0004 00000000 00000000 00000010 00000001',
  '0a0d0d0a 1c000000 4d3c2b1a 01000000 ffffffffffffffff 1c000000 01000000 14000000 01000000 00000000 14000000',
  '0a0d0d0a 0000001c 1a2b3c4d 00010000 ffffffffffffffff 0000001c',
].map((hex) => fromHex(hex));

const cutsArb = fc.array(fc.nat(), { maxLength: 12 });

describe('pcap reader properties', () => {
  it('never throws on arbitrary bytes in arbitrary chunkings', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PREFIXES),
        fc.uint8Array({ maxLength: 300 }),
        cutsArb,
        (prefix, tail, cuts) => {
          const { last } = feed(concat([prefix, tail]), cuts, {
            maxBlockLength: 4096,
            maxPacketLength: 2048,
          });
          expect(['end', 'error']).toContain(last.kind);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('never throws on mutated valid files', () => {
    const w = new PcapngWriter();
    const file = concat([
      w.sectionHeader(),
      w.addInterface({ linkType: 1, name: 'x', resolution: { base: 2, exponent: 30 } }),
      w.packet({
        timestamp: 5n,
        data: new Uint8Array(13),
        flags: { direction: 'inbound' },
        comments: ['c'],
      }),
      w.packet({ timestamp: 9n, data: new Uint8Array(3) }),
    ]);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(file.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        cutsArb,
        (edits, cuts) => {
          const bytes = file.slice();
          for (const [at, value] of edits) bytes[at] = value;
          const { last } = feed(bytes, cuts);
          expect(['end', 'error']).toContain(last.kind);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

interface Frame {
  readonly timestamp: bigint;
  readonly data: Uint8Array;
  readonly extra: number;
  readonly direction: Direction | undefined;
  readonly comments: string[];
  readonly interfaceId: number;
}

const frameArb = (unit: bigint, interfaces: number): fc.Arbitrary<Frame> =>
  fc.record({
    timestamp: fc
      .bigInt({ min: 0n, max: 4_000_000_000n * 1_000_000_000n })
      .map((t) => (t / unit) * unit),
    data: fc.uint8Array({ maxLength: 200 }),
    extra: fc.nat(100),
    direction: fc.constantFrom<Direction | undefined>('inbound', 'outbound', undefined),
    comments: fc.array(fc.string({ maxLength: 20 }), { maxLength: 2 }),
    interfaceId: fc.nat(interfaces - 1),
  });

/** The absolute time a frame is written with: picoseconds (interface 1) overflow 64 bits after ~213 days. */
function absolute(f: Frame): bigint {
  if (f.interfaceId === 1) return f.timestamp % 18_000_000_000_000_000n;
  return f.timestamp + (f.interfaceId === 2 ? 7_000_000_000n : 0n);
}

describe('write then read', () => {
  it('round-trips pcap records in either byte order and resolution', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.constantFrom<'big' | 'little'>('big', 'little'),
        fc
          .boolean()
          .chain((ns) =>
            fc.tuple(fc.constant(ns), fc.array(frameArb(ns ? 1n : 1000n, 1), { maxLength: 8 })),
          ),
        cutsArb,
        (_unused, byteOrder, [nanoseconds, frames], cuts) => {
          const w = new PcapWriter({ linkType: 1, nanoseconds, byteOrder });
          const file = concat([
            w.header(),
            ...frames.map((f) =>
              w.record({
                timestamp: f.timestamp,
                data: f.data,
                originalLength: f.data.length + f.extra,
              }),
            ),
          ]);
          const { records, last } = feed(file, cuts);
          expect(last).toEqual({ kind: 'end' });
          expect(records.map((r) => [r.timestamp, [...r.data], r.originalLength])).toEqual(
            frames.map((f) => [f.timestamp, [...f.data], f.data.length + f.extra]),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('round-trips pcapng packets with flags, comments and several interfaces', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<'big' | 'little'>('big', 'little'),
        fc.array(frameArb(1n, 3), { maxLength: 8 }),
        cutsArb,
        (byteOrder, frames, cuts) => {
          const w = new PcapngWriter({ byteOrder });
          const file = concat([
            w.sectionHeader(),
            w.addInterface({ linkType: 1, resolution: { base: 10, exponent: 9 } }),
            w.addInterface({ linkType: 101, resolution: { base: 10, exponent: 12 } }),
            w.addInterface({ linkType: 228, resolution: { base: 10, exponent: 9 }, tsOffset: 7n }),
            ...frames.map((f) =>
              w.packet({
                interfaceId: f.interfaceId,
                timestamp: absolute(f),
                data: f.data,
                originalLength: f.data.length + f.extra,
                ...(f.direction === undefined ? {} : { flags: { direction: f.direction } }),
                comments: f.comments,
              }),
            ),
          ]);
          const { records, last } = feed(file, cuts);
          expect(last).toEqual({ kind: 'end' });
          expect(
            records.map((r) => [
              r.interfaceId,
              r.linkType,
              r.timestamp,
              [...r.data],
              r.originalLength,
              r.flags?.direction,
              r.comments ?? [],
            ]),
          ).toEqual(
            frames.map((f) => [
              f.interfaceId,
              [1, 101, 228][f.interfaceId],
              absolute(f),
              [...f.data],
              f.data.length + f.extra,
              f.direction,
              f.comments,
            ]),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('yields the same records for any chunking of the same file', () => {
    const w = new PcapngWriter();
    const parts = [w.sectionHeader(), w.addInterface({ linkType: 1 })];
    for (let i = 0; i < 20; i++) {
      parts.push(
        w.packet({
          timestamp: BigInt(i) * 1000n,
          data: new Uint8Array(i * 7).fill(i),
          comments: [`#${i}`],
        }),
      );
    }
    const file = concat(parts);
    const whole = plain(feed(file, []).records);
    expect(whole).toHaveLength(20);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 40 }), (cuts) => {
        expect(plain(feed(file, cuts).records)).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });
});
