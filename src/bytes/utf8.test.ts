import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8Bytes } from './utf8.js';

const encoder = new TextEncoder();

describe('utf8Bytes', () => {
  it("gives exactly TextEncoder's bytes, for ASCII and not, short and long, lone surrogates too", () => {
    const text = fc.oneof(
      fc.string({ unit: 'grapheme-ascii', maxLength: 80 }),
      fc.string({ unit: 'binary', maxLength: 80 }),
      // Latin-1 only: one byte per unit in UTF-16, two in UTF-8 above 0x7f.
      fc
        .array(fc.integer({ min: 0, max: 0xff }), { maxLength: 70 })
        .map((units) => String.fromCharCode(...units)),
      // Lone surrogates: TextEncoder writes U+FFFD, the fast path must not write the unit.
      fc
        .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 70 })
        .map((units) => String.fromCharCode(...units)),
    );
    fc.assert(
      fc.property(text, (value) => {
        const bytes = utf8Bytes(value);
        expect(Object.getPrototypeOf(bytes)).toBe(Uint8Array.prototype);
        expect([...bytes]).toEqual([...encoder.encode(value)]);
      }),
    );
  });

  it('encodes the boundary cases: empty, 64 and 65 ASCII units, non-ASCII at the end', () => {
    expect(utf8Bytes('').length).toBe(0);
    expect([...utf8Bytes('a'.repeat(64))]).toEqual(new Array<number>(64).fill(0x61));
    expect(utf8Bytes('a'.repeat(65)).length).toBe(65);
    expect([...utf8Bytes('bob\u00e9')]).toEqual([0x62, 0x6f, 0x62, 0xc3, 0xa9]);
    expect([...utf8Bytes('\ud800')]).toEqual([0xef, 0xbf, 0xbd]);
  });
});
