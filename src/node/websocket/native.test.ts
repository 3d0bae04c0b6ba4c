import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskInPlace, maskInto } from '../../wire/websocket/index.js';
import { allocateUnsafe, fastMask, fastMaskInto, nativeMaskLoaded } from './native.js';

describe('native helpers', () => {
  it('loads bufferutil 4.1.0 natively where it ships a prebuild (linux-x64 here)', () => {
    if (process.platform === 'linux' && process.arch === 'x64') expect(nativeMaskLoaded).toBe(true);
    else expect(typeof nativeMaskLoaded).toBe('boolean');
  });

  it('masks exactly as maskInPlace does, at any length and phase', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2000 }),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.integer({ min: 0, max: 3 }),
        (data, key, phase) => {
          const ours = data.slice();
          const theirs = data.slice();
          expect(fastMask(ours, key, phase)).toBe(maskInPlace(theirs, key, phase));
          expect(ours).toEqual(theirs);
        },
      ),
    );
  });

  it('masks into a target exactly as maskInto does, at any length, phase and offset', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2000 }),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 9 }),
        fc.integer({ min: 0, max: 5 }),
        (data, key, phase, offset, extra) => {
          const source = data.slice();
          const ours = new Uint8Array(offset + data.length + extra).fill(0xee);
          const theirs = ours.slice();
          const end = offset + data.length + extra;
          expect(fastMaskInto(source, ours.subarray(offset, end), key, phase)).toBe(
            maskInto(source, theirs.subarray(offset, end), key, phase),
          );
          expect(ours).toEqual(theirs);
          expect(source).toEqual(data); // the source is left as it was
        },
      ),
    );
    expect(() =>
      fastMaskInto(new Uint8Array(300), new Uint8Array(299), new Uint8Array(4), 0),
    ).toThrow(RangeError);
  });

  it('allocates the size asked for', () => {
    expect(allocateUnsafe(70000).length).toBe(70000);
  });
});
