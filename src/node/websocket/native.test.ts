import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskInPlace } from '../../wire/websocket/index.js';
import { allocateUnsafe, fastMask, nativeMaskLoaded } from './native.js';

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

  it('allocates the size asked for', () => {
    expect(allocateUnsafe(70000).length).toBe(70000);
  });
});
