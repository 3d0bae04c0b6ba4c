import { describe, expect, it } from 'vitest';
import { ByteReader, BytesRangeError } from './reader.js';
import { fromHex } from './hex.js';

describe('ByteReader', () => {
  it('reads big- and little-endian integers of every width', () => {
    const r = new ByteReader(fromHex('01 0203 0405 060708 090a0b0c 0d0e0f10 1112131415161718 ff'));
    expect(r.u8()).toBe(0x01);
    expect(r.u16()).toBe(0x0203);
    expect(r.u16le()).toBe(0x0504);
    expect(r.u24()).toBe(0x060708);
    expect(r.u32()).toBe(0x090a0b0c);
    expect(r.u32le()).toBe(0x100f0e0d);
    expect(r.u64()).toBe(0x1112131415161718n);
    expect(r.i8()).toBe(-1);
    expect(r.remaining).toBe(0);
  });

  it('reads signed integers and 64-bit little-endian', () => {
    const r = new ByteReader(fromHex('ffff feff ffffff80 0100000000000080'));
    expect(r.i16()).toBe(-1);
    expect(r.i16le()).toBe(-2);
    expect(r.i32()).toBe(-128);
    expect(r.u64le()).toBe(0x8000000000000001n);
  });

  it('honours byteOffset when the bytes are a view into a larger buffer', () => {
    const backing = fromHex('aa bb cc dd 00 01 02 03');
    const r = new ByteReader(backing.subarray(4));
    expect(r.u32()).toBe(0x00010203);
  });

  it('hands out views that share memory, without copying', () => {
    const bytes = fromHex('00 11 22 33');
    const r = new ByteReader(bytes);
    r.skip(1);
    const view = r.bytesView(2);
    expect(view.buffer).toBe(bytes.buffer);
    view[0] = 0x99;
    expect(bytes[1]).toBe(0x99);
    expect(Array.from(r.rest())).toEqual([0x33]);
  });

  it('throws a coded range error past the end and does not move', () => {
    const r = new ByteReader(fromHex('0102 03'));
    r.u16();
    expect(() => r.u16()).toThrow(BytesRangeError);
    try {
      r.u32();
    } catch (error) {
      expect((error as BytesRangeError).code).toBe('ERR_BYTES_OUT_OF_RANGE');
      expect((error as Error).message).toBe('Cannot read 4 bytes at offset 2: 1 available');
    }
    expect(r.offset).toBe(2);
    expect(r.u8()).toBe(3);
    expect(() => r.bytesView(-1)).toThrow(BytesRangeError);
    expect(() => r.peekU8()).toThrow(BytesRangeError);
  });

  it('refuses a start offset outside the bytes', () => {
    expect(() => new ByteReader(new Uint8Array(2), 3)).toThrow(RangeError);
    expect(new ByteReader(new Uint8Array(2), 2).remaining).toBe(0);
  });

  it('peeks without moving and reports what it can read', () => {
    const r = new ByteReader(fromHex('0a0b'));
    expect(r.peekU8(1)).toBe(0x0b);
    expect(r.canRead(2)).toBe(true);
    expect(r.canRead(3)).toBe(false);
    expect(r.canRead(-1)).toBe(false);
    expect(r.offset).toBe(0);
    expect(r.length).toBe(2);
  });
});
