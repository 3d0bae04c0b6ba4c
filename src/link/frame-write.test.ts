import { describe, expect, it } from 'vitest';
import { putU16, putU32 } from './frame-write.js';
import { macFromNumber, macNumber, writeMacNumber } from './mac.js';

describe('frame writes and MAC numbers', () => {
  it('writes big-endian integers and turns 48-bit numbers back into MACs', () => {
    const bytes = new Uint8Array(6);
    putU16(bytes, 0, 0xabcd);
    putU32(bytes, 2, 0xfffffffe);
    expect(Array.from(bytes)).toEqual([0xab, 0xcd, 0xff, 0xff, 0xff, 0xfe]);
    expect(Array.from(macFromNumber(0x02000000000b))).toEqual([2, 0, 0, 0, 0, 0x0b]);
    expect(Array.from(macFromNumber(0xffffffffffff))).toEqual([255, 255, 255, 255, 255, 255]);
  });

  it('round-trips a MAC through its number', () => {
    const mac = Uint8Array.of(0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54);
    const value = macNumber(mac, 0);
    expect(value).toBe(0xfedcba987654);
    const into = new Uint8Array(8);
    writeMacNumber(into, 1, value);
    expect(Array.from(into.subarray(1, 7))).toEqual(Array.from(mac));
  });
});
