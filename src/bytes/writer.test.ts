import { describe, expect, it } from 'vitest';
import { ByteWriter } from './writer.js';
import { ByteReader, BytesRangeError } from './reader.js';
import { toHex } from './hex.js';

describe('ByteWriter', () => {
  it('writes every width in both byte orders', () => {
    const w = ByteWriter.growable(4);
    w.u8(1).u16(0x0203).u16le(0x0504).u24(0x060708).u32(0x090a0b0c).u32le(0x100f0e0d);
    w.u64(0x1112131415161718n).u64le(0x2827262524232221n).i32(-1).i32le(-2);
    expect(toHex(w.finish())).toBe(
      '01020304050607080' +
        '90a0b0c0d0e0f10' +
        '1112131415161718' +
        '2122232425262728' +
        'fffffffffeffffff',
    );
  });

  it('writes in place into a caller buffer at an offset, honouring byteOffset', () => {
    const backing = new Uint8Array(8);
    const w = new ByteWriter(backing.subarray(2, 6), 1);
    w.u16(0xabcd).bytes(Uint8Array.of(0xef));
    expect(toHex(backing)).toBe('000000abcdef0000');
    expect(w.remaining).toBe(0);
    expect(() => w.u8(0)).toThrow(BytesRangeError);
  });

  it('grows by doubling up to its maximum and no further', () => {
    const w = ByteWriter.growable(2, 10);
    w.zeros(9);
    expect(w.capacity).toBe(10);
    w.u8(7);
    expect(() => w.u8(8)).toThrow(BytesRangeError);
    expect(w.finish().length).toBe(10);
    expect(() => ByteWriter.growable(0)).toThrow(RangeError);
    expect(() => ByteWriter.growable(20, 10)).toThrow(RangeError);
  });

  it('round-trips through ByteReader', () => {
    const w = ByteWriter.growable();
    w.u32(0xdeadbeef)
      .u16le(0x1234)
      .u64(2n ** 63n);
    const r = new ByteReader(w.finish());
    expect(r.u32()).toBe(0xdeadbeef);
    expect(r.u16le()).toBe(0x1234);
    expect(r.u64()).toBe(2n ** 63n);
  });

  it('refuses a start offset outside the buffer', () => {
    expect(() => new ByteWriter(new Uint8Array(1), 2)).toThrow(RangeError);
  });
});
