// EAP-TLS framing (RFC 5216 §2.1.5): parsing never throws, reassembly is
// bounded and refuses lying lengths, and any fragmentation of any message at
// any capacity reassembles exactly. Settings (bounds, capacities, length on
// unfragmented messages) are drawn, not fixed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  TlsFlag,
  TlsFragmenter,
  TlsReassembler,
  encodeTlsTypeData,
  isTlsAck,
  parseTlsTypeData,
  type TlsTypeData,
} from '../../src/eap/index.js';

const bytes = (max: number) => fc.uint8Array({ minLength: 0, maxLength: max });

/** Type-Data as it could arrive: random flags, a length that may lie, random data. */
const typeData = fc
  .record({
    flags: fc.integer({ min: 0, max: 255 }),
    length: fc.option(fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.constant(0xffffffff)), {
      nil: undefined,
    }),
    data: bytes(600),
  })
  .map(({ flags, length, data }) => encodeTlsTypeData(flags, length, data));

function parsed(raw: Uint8Array): TlsTypeData {
  const result = parseTlsTypeData(raw);
  if (!result.ok) throw new Error(result.reason);
  return result.value;
}

/** Fragments `message` as the sender does and feeds every fragment to `reassembler`. */
function roundTrip(
  message: Uint8Array,
  capacity: number,
  lengthOnUnfragmented: boolean,
  reassembler: TlsReassembler,
) {
  const fragmenter = new TlsFragmenter(message, { lengthOnUnfragmented });
  const results = [];
  do {
    const { typeData: raw, more } = fragmenter.next(capacity);
    expect(raw.length).toBeLessThanOrEqual(capacity);
    const value = parsed(raw);
    expect(value.more).toBe(more);
    results.push(reassembler.push(value));
  } while (!fragmenter.done);
  return results;
}

describe('EAP-TLS framing properties', () => {
  it('parseTlsTypeData never throws, and its data is a view inside the input', () => {
    fc.assert(
      fc.property(bytes(64), (raw) => {
        const result = parseTlsTypeData(raw);
        if (
          raw.length === 0 ||
          (((raw[0] as number) & TlsFlag.LengthIncluded) !== 0 && raw.length < 5)
        ) {
          expect(result.ok).toBe(false);
          return;
        }
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        expect(result.value.data.buffer).toBe(raw.buffer);
        expect(result.value.data.length).toBe(
          raw.length - (result.value.totalLength === undefined ? 1 : 5),
        );
      }),
    );
  });

  it('any fragmentation at any capacity reassembles exactly, and only the last fragment completes it', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 6000 }),
        fc.integer({ min: 6, max: 1500 }),
        fc.boolean(),
        (message, capacity, lengthOnUnfragmented) => {
          const reassembler = new TlsReassembler();
          const results = roundTrip(message, capacity, lengthOnUnfragmented, reassembler);
          const last = results.pop();
          for (const r of results) expect(r.kind).toBe('fragment');
          expect(last?.kind).toBe('message');
          if (last?.kind === 'message') expect(last.data).toEqual(message);
          expect(reassembler.buffered).toBe(0);
        },
      ),
    );
  });

  it('a TLS Message Length that lies about the data is refused, never delivered', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 2, maxLength: 4000 }),
        fc.integer({ min: 6, max: 700 }),
        fc.integer({ min: 0, max: 8000 }),
        (message, capacity, declared) => {
          fc.pre(declared !== message.length);
          const fragmenter = new TlsFragmenter(message, { lengthOnUnfragmented: true });
          const reassembler = new TlsReassembler();
          let outcome: string | undefined;
          let first = true;
          do {
            const { typeData: raw } = fragmenter.next(capacity);
            if (first) {
              // Overwrite the TLS Message Length of the first fragment with the lie.
              new DataView(raw.buffer).setUint32(1, declared);
              first = false;
            }
            const r = reassembler.push(parsed(raw));
            if (r.kind !== 'fragment') outcome = r.kind;
          } while (!fragmenter.done && outcome === undefined);
          expect(outcome).toBe('error');
          expect(reassembler.buffered).toBe(0);
        },
      ),
    );
  });

  it('never throws on arbitrary fragment sequences and never holds more than its bound (drawn)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3000 }),
        fc.integer({ min: 1, max: 40 }),
        fc.array(typeData, { maxLength: 60 }),
        (maxMessageLength, maxFragments, stream) => {
          const reassembler = new TlsReassembler({ maxMessageLength, maxFragments });
          for (const raw of stream) {
            const value = parsed(raw);
            if (isTlsAck(value)) continue;
            const r = reassembler.push(value);
            expect(reassembler.buffered).toBeLessThanOrEqual(maxMessageLength);
            if (r.kind === 'message') {
              expect(r.data.length).toBeLessThanOrEqual(maxMessageLength);
              expect(reassembler.buffered).toBe(0);
            }
            if (r.kind === 'error') expect(reassembler.inProgress).toBe(false);
          }
        },
      ),
    );
  });

  it('after a refused message, the next honest one reassembles exactly', () => {
    fc.assert(
      fc.property(
        fc.array(typeData, { maxLength: 8 }),
        fc.uint8Array({ minLength: 1, maxLength: 3000 }),
        fc.integer({ min: 6, max: 1000 }),
        (garbage, message, capacity) => {
          const reassembler = new TlsReassembler({ maxMessageLength: 4000 });
          for (const raw of garbage) {
            const value = parsed(raw);
            if (!isTlsAck(value)) reassembler.push(value);
          }
          reassembler.reset(); // what a method does when it gives up on a message
          const last = roundTrip(message, capacity, false, reassembler).pop();
          expect(last?.kind === 'message' && last.data).toEqual(message);
        },
      ),
    );
  });

  it('refuses a declared length above the bound at the first fragment, holding nothing', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 65536 }),
        fc.integer({ min: 1, max: 2 ** 32 - 1 }),
        (max, declared) => {
          fc.pre(declared > max);
          const reassembler = new TlsReassembler({ maxMessageLength: max });
          const r = reassembler.push(
            parsed(encodeTlsTypeData(TlsFlag.MoreFragments, declared, Uint8Array.of(1))),
          );
          expect(r.kind).toBe('error');
          expect(reassembler.buffered).toBe(0);
        },
      ),
    );
  });
});
