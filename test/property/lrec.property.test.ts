/**
 * Properties of MS-LREC's formats (src/wire/lrec):
 * 1. `parseEventBuffer` never throws, whatever the bytes, and every item it
 *    returns lies inside them;
 * 2. for any items and any last-item flag, parse(encode(items)) gives the
 *    items back (flags on the last item only, lost counts saturated);
 * 3. a buffer cut anywhere inside an item is refused, never misread.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_LOST_EVENT_COUNT,
  encodeEventBuffer,
  filetimeFromUnixMs,
  parseEventBuffer,
  readGuid,
  unixMsFromFiletime,
  writeFiletimeFromUnixMs,
  type NetEventItemInit,
} from '../../src/wire/index.js';

const guid = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((bytes) => readGuid(bytes, 0));

const record = fc.record({
  providerId: guid,
  activityId: guid,
  id: fc.integer({ min: 0, max: 0xffff }),
  version: fc.integer({ min: 0, max: 0xff }),
  channel: fc.integer({ min: 0, max: 0xff }),
  level: fc.integer({ min: 0, max: 0xff }),
  opcode: fc.integer({ min: 0, max: 0xff }),
  task: fc.integer({ min: 0, max: 0xffff }),
  keyword: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  timeStamp: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  size: fc.integer({ min: 0, max: 0xffff }),
  headerType: fc.integer({ min: 0, max: 0xffff }),
  flags: fc.integer({ min: 0, max: 0xffff }),
  eventProperty: fc.integer({ min: 0, max: 0xffff }),
  threadId: fc.integer({ min: 0, max: 0xffff_ffff }),
  processId: fc.integer({ min: 0, max: 0xffff_ffff }),
  kernelTime: fc.integer({ min: 0, max: 0xffff_ffff }),
  userTime: fc.integer({ min: 0, max: 0xffff_ffff }),
  processorId: fc.integer({ min: 0, max: 0xff }),
  reserved: fc.integer({ min: 0, max: 0xff }),
  sessionId: fc.integer({ min: 0, max: 0xffff }),
});

const eventItem = fc.record({
  kind: fc.constant('event' as const),
  record,
  userData: fc.uint8Array({ maxLength: 300 }),
});

const items = fc
  .tuple(
    fc.array(eventItem, { maxLength: 12 }),
    fc.option(fc.double({ min: 0, max: 2 ** 40, noNaN: true }), { nil: undefined }),
  )
  .map(([events, lost]) => {
    const all: NetEventItemInit[] = [...events];
    if (lost !== undefined) all.push({ kind: 'lost', lostEventCount: lost });
    return all;
  });

describe('LREC EVENT_BUFFER properties', () => {
  it('never throws on arbitrary bytes, and items lie inside them', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const result = parseEventBuffer(bytes);
        if (!result.ok) return typeof result.failure.code === 'string';
        return result.value.every(
          (item) =>
            item.kind !== 'event' ||
            (item.record.userData.buffer === bytes.buffer &&
              item.record.userData.byteOffset + item.record.userData.length <=
                bytes.byteOffset + bytes.length),
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on mutated valid buffers', () => {
    fc.assert(
      fc.property(
        items,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        (drawn, mutations) => {
          const bytes = encodeEventBuffer(drawn);
          for (const [at, value] of mutations) {
            if (bytes.length > 0) bytes[at % bytes.length] = value;
          }
          const result = parseEventBuffer(bytes);
          expect(typeof result.ok).toBe('boolean');
        },
      ),
    );
  });

  it('round-trips any items with any last-item flag', () => {
    fc.assert(
      fc.property(items, fc.integer({ min: 0, max: 0xffff }), (drawn, lastItemFlag) => {
        const result = parseEventBuffer(encodeEventBuffer(drawn, { lastItemFlag }));
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        expect(result.value.length).toBe(drawn.length);
        drawn.forEach((item, index) => {
          const got = result.value[index];
          const flags = index === drawn.length - 1 ? lastItemFlag : 0;
          if (item.kind === 'lost') {
            const count = Math.min(Math.floor(item.lostEventCount), MAX_LOST_EVENT_COUNT);
            expect(got).toEqual({ kind: 'lost', flags, lostEventCount: count });
          } else {
            expect(got?.kind).toBe('event');
            if (got?.kind !== 'event') return;
            expect(got.flags).toBe(flags);
            expect(got.record.header).toEqual({
              ...item.record,
              extendedDataCount: 0,
              extendedDataOffset: 0,
            });
            expect(got.record.userData).toEqual(item.userData);
          }
        });
      }),
    );
  });

  it('refuses a buffer cut inside an item', () => {
    fc.assert(
      fc.property(items, fc.nat(), (drawn, cutSeed) => {
        const bytes = encodeEventBuffer(drawn);
        fc.pre(bytes.length > 0);
        // Item boundaries: a cut there is a shorter valid buffer; anywhere else must fail.
        const boundaries = new Set<number>([0]);
        let at = 0;
        for (const item of drawn) {
          at += item.kind === 'lost' ? 12 : 8 + 96 + item.userData.length;
          boundaries.add(at);
        }
        const cut = cutSeed % bytes.length;
        const result = parseEventBuffer(bytes.subarray(0, cut));
        expect(result.ok).toBe(boundaries.has(cut));
      }),
    );
  });

  it('writes the same FILETIME with and without BigInt, and reads it back', () => {
    const view = new DataView(new ArrayBuffer(8));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 44 - 1 }),
        fc.integer({ min: 0, max: 9999 }),
        (ms, ticks) => {
          const unixMs = ms + ticks / 10_000;
          writeFiletimeFromUnixMs(view, 0, unixMs);
          const filetime = view.getBigInt64(0, true);
          expect(filetime).toBe(filetimeFromUnixMs(unixMs));
          expect(Math.abs(unixMsFromFiletime(filetime) - unixMs)).toBeLessThan(0.0001);
        },
      ),
    );
  });
});
