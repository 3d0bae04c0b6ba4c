import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodePayload, encodePayload, type FieldSpec } from './payload.js';

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

  it('refuses a mistyped value when encoding', () => {
    expect(() => encodePayload([{ name: 'n', type: 'u8' }], { n: 'x' })).toThrow(TypeError);
    expect(() => encodePayload([{ name: 'n', type: 'u64' }], { n: 1 })).toThrow(/must be u64/);
    expect(() => encodePayload([{ name: 'b', type: 'bytes' }], {})).toThrow(TypeError);
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
