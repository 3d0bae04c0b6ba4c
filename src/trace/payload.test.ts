import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  decodePayload,
  encodePayload,
  MAX_STRING_BYTES,
  TRUNCATION_MARK,
  type FieldSpec,
} from './payload.js';

const fields: FieldSpec[] = [
  { name: 'ifIndex', type: 'u32' },
  { name: 'etherType', type: 'u16' },
  { name: 'ttl', type: 'u8' },
  { name: 'delta', type: 'i32' },
  { name: 'bytesTotal', type: 'u64' },
  { name: 'rate', type: 'f64' },
  { name: 'ok', type: 'bool' },
  { name: 'reason', type: 'string' },
  { name: 'frame', type: 'bytes' },
];

describe('trace payloads', () => {
  it('round-trips every field type', () => {
    const values = {
      ifIndex: 7,
      etherType: 0x0806,
      ttl: 64,
      delta: -5,
      bytesTotal: 2n ** 40n,
      rate: 1.5,
      ok: true,
      reason: 'bad checksum ✓',
      frame: Uint8Array.of(1, 2, 3),
    };
    const decoded = decodePayload(fields, encodePayload(fields, values));
    expect(decoded).toEqual({ ok: true, values });
  });

  it('never throws on a mistyped or missing value: writes zero and counts it', () => {
    const faults = { truncated: 0, mistyped: 0 };
    const spec: FieldSpec[] = [
      { name: 'n', type: 'u8' },
      { name: 'big', type: 'u64' },
      { name: 'b', type: 'bytes' },
      { name: 's', type: 'string' },
    ];
    const payload = encodePayload(spec, { n: 'x', big: 1 }, faults);
    expect(decodePayload(spec, payload)).toEqual({
      ok: true,
      values: { n: 0, big: 0n, b: new Uint8Array(0), s: '' },
    });
    expect(faults).toEqual({ truncated: 0, mistyped: 4 });
  });

  it('cuts a string over 65,535 UTF-8 bytes at a character boundary and marks it', () => {
    const spec: FieldSpec[] = [
      { name: 's', type: 'string' },
      { name: 'after', type: 'u16' },
    ];
    const faults = { truncated: 0, mistyped: 0 };
    // 'é' is two bytes: an odd cut point would split one without the boundary check.
    for (const long of ['x'.repeat(70_000), 'é'.repeat(40_000), 'a' + '€'.repeat(30_000)]) {
      const decoded = decodePayload(spec, encodePayload(spec, { s: long, after: 7 }, faults));
      expect(decoded.ok).toBe(true);
      if (!decoded.ok) continue;
      const s = decoded.values['s'] as string;
      expect(s.endsWith(TRUNCATION_MARK)).toBe(true);
      expect(s.includes('\ufffd')).toBe(false);
      expect(new TextEncoder().encode(s).length).toBeLessThanOrEqual(MAX_STRING_BYTES);
      expect(long.startsWith(s.slice(0, -TRUNCATION_MARK.length))).toBe(true);
      expect(decoded.values['after']).toBe(7);
    }
    expect(faults.truncated).toBe(3);
    // Exactly at the limit: kept whole, no mark.
    const exact = 'y'.repeat(MAX_STRING_BYTES);
    const decoded = decodePayload(spec, encodePayload(spec, { s: exact, after: 1 }));
    expect(decoded.ok && decoded.values['s']).toBe(exact);
  });

  it('never throws whatever it is given, and what it writes always decodes', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom(...fields.map((f) => f.name)),
          fc.oneof(
            fc.anything(),
            fc.string({ maxLength: 40 }),
            fc.double(),
            fc.bigInt(),
            fc.uint8Array({ maxLength: 16 }),
          ),
        ),
        (values) => {
          const payload = encodePayload(fields, values as never);
          return decodePayload(fields, payload).ok;
        },
      ),
    );
  });

  it('never throws on untrusted payloads, naming the field it ran out in', () => {
    expect(decodePayload(fields, Uint8Array.of(1, 2))).toEqual({
      ok: false,
      reason: 'payload ends inside field "ifIndex" (u32)',
    });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const result = decodePayload(fields, bytes);
        expect(typeof result.ok).toBe('boolean');
      }),
    );
  });
});

describe('trace payload allocation', () => {
  it('gives every payload its own bytes, small or large, across slab boundaries', () => {
    const spec: FieldSpec[] = [
      { name: 'n', type: 'u32' },
      { name: 's', type: 'string' },
      { name: 'b', type: 'bytes' },
    ];
    const payloads = Array.from({ length: 5000 }, (_, i) =>
      encodePayload(spec, {
        n: i,
        s: `#${i}`,
        b: new Uint8Array(i % 7 === 0 ? 9000 : 3).fill(i & 0xff),
      }),
    );
    payloads.forEach((payload, i) => {
      const decoded = decodePayload(spec, payload);
      expect(decoded.ok && decoded.values['n']).toBe(i);
      expect(decoded.ok && decoded.values['s']).toBe(`#${i}`);
      expect(decoded.ok && (decoded.values['b'] as Uint8Array).every((v) => v === (i & 0xff))).toBe(
        true,
      );
      expect(decoded.ok && (decoded.values['b'] as Uint8Array).length).toBe(i % 7 === 0 ? 9000 : 3);
    });
  });
});
