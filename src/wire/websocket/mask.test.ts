import { describe, expect, it } from 'vitest';
import { maskInPlace, maskInto } from './mask.js';

function reference(data: Uint8Array, key: Uint8Array, phase: number): Uint8Array {
  return data.map((b, i) => b ^ (key[(i + phase) & 3] as number));
}

describe('mask', () => {
  const key = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);

  it('masks "Hello" as in RFC 6455 §5.7', () => {
    const data = new TextEncoder().encode('Hello');
    expect(maskInPlace(data, key)).toBe(1);
    expect(Array.from(data)).toEqual([0x7f, 0x9f, 0x4d, 0x51, 0x58]);
  });

  it('matches the byte-wise reference for every length, offset and phase', () => {
    const backing = new Uint8Array(300);
    for (let i = 0; i < backing.length; i++) backing[i] = (i * 131 + 7) & 0xff;
    for (let offset = 0; offset < 4; offset++) {
      for (const length of [0, 1, 3, 4, 5, 31, 32, 33, 63, 64, 65, 100, 257]) {
        for (let phase = 0; phase < 4; phase++) {
          const data = backing.slice().subarray(offset, offset + length);
          const want = reference(data, key, phase);
          expect(maskInPlace(data, key, phase)).toBe((phase + length) & 3);
          expect(data).toEqual(want);
        }
      }
    }
  });

  it('masks into another buffer of any alignment, leaving the source alone', () => {
    const source = new Uint8Array(200).map((_, i) => i);
    for (let offset = 0; offset < 4; offset++) {
      const target = new Uint8Array(210).subarray(offset, offset + 205);
      const phase = maskInto(source.subarray(1, 101), target, key, 2);
      expect(phase).toBe((2 + 100) & 3);
      expect(target.subarray(0, 100)).toEqual(reference(source.subarray(1, 101), key, 2));
      expect(source[1]).toBe(1);
    }
    expect(() => maskInto(source, new Uint8Array(3), key)).toThrow(RangeError);
  });

  it('continues the phase across pieces', () => {
    const whole = new Uint8Array(97).map((_, i) => i * 3);
    const want = reference(whole, key, 0);
    const pieces = whole.slice();
    let phase = 0;
    for (const [a, b] of [
      [0, 3],
      [3, 40],
      [40, 41],
      [41, 97],
    ] as const) {
      phase = maskInPlace(pieces.subarray(a, b), key, phase);
    }
    expect(pieces).toEqual(want);
  });

  it('rejects a key that is not 4 bytes', () => {
    expect(() => maskInPlace(new Uint8Array(8), new Uint8Array(3))).toThrow(TypeError);
  });
});
