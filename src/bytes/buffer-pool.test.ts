import { describe, expect, it } from 'vitest';
import { BufferPool } from './buffer-pool.js';
import type { NetrxError } from '../runtime/index.js';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return (error as NetrxError).code;
  }
  return undefined;
}

describe('BufferPool (RasGetBuffer / RasFreeBuffer)', () => {
  it('hands out at most bufferSize bytes, reporting the size allocated', () => {
    const pool = new BufferPool({ bufferSize: 1500, capacity: 2 });
    expect(pool.get(100).length).toBe(100);
    expect(pool.get(4000).length).toBe(1500);
    expect(pool.stats()).toMatchObject({ inUse: 2, handedOut: 2 });
  });

  it('fails with ERROR_OUT_OF_BUFFERS (614) when all are out, and counts it', () => {
    const pool = new BufferPool({ capacity: 1 });
    const only = pool.get();
    let error: NetrxError | undefined;
    try {
      pool.get();
    } catch (caught) {
      error = caught as NetrxError;
    }
    expect(error?.code).toBe('ERROR_OUT_OF_BUFFERS');
    expect(error?.number).toBe(614);
    expect(pool.stats().outOfBuffers).toBe(1);
    pool.free(only);
    expect(pool.get().length).toBe(1500);
  });

  it('refuses a foreign buffer with ERROR_BUFFER_INVALID (610) and counts each refusal', () => {
    const pool = new BufferPool({ bufferSize: 16, capacity: 4 });
    const other = new BufferPool({ bufferSize: 16, capacity: 4 });
    const ours = pool.get();
    const theirs = other.get();
    expect(codeOf(() => pool.free(theirs))).toBe('ERROR_BUFFER_INVALID');
    expect(codeOf(() => pool.free(new Uint8Array(16)))).toBe('ERROR_BUFFER_INVALID');
    expect(codeOf(() => pool.free(ours.subarray(1)))).toBe('ERROR_BUFFER_INVALID');
    expect(codeOf(() => pool.check(theirs, 'send'))).toBe('ERROR_BUFFER_INVALID');
    expect(pool.stats().refused).toBe(4);
    expect(pool.owns(ours)).toBe(true);
    expect(pool.owns(ours.subarray(0, 4))).toBe(true);
    pool.free(ours);
  });

  it('refuses a double free, and a buffer freed then reused is ours again', () => {
    const pool = new BufferPool({ bufferSize: 8, capacity: 2 });
    const a = pool.get();
    pool.free(a);
    expect(pool.owns(a)).toBe(false);
    expect(codeOf(() => pool.free(a))).toBe('ERROR_BUFFER_INVALID');
    const b = pool.get();
    expect(b.byteOffset).toBe(a.byteOffset);
    expect(pool.owns(b)).toBe(true);
  });

  it('refuses to free a buffer before any was handed out', () => {
    const pool = new BufferPool();
    expect(codeOf(() => pool.free(new Uint8Array(1500)))).toBe('ERROR_BUFFER_INVALID');
  });

  it('gives buffers that never overlap', () => {
    const pool = new BufferPool({ bufferSize: 4, capacity: 3 });
    const buffers = [pool.get(), pool.get(), pool.get()];
    buffers.forEach((buffer, i) => buffer.fill(i + 1));
    expect(buffers.map((b) => Array.from(b))).toEqual([
      [1, 1, 1, 1],
      [2, 2, 2, 2],
      [3, 3, 3, 3],
    ]);
  });

  it('validates its options and requests', () => {
    expect(() => new BufferPool({ bufferSize: 0 })).toThrow(RangeError);
    expect(() => new BufferPool({ capacity: 1.5 })).toThrow(RangeError);
    expect(() => new BufferPool().get(0)).toThrow(RangeError);
  });
});
