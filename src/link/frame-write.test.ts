import { describe, expect, it } from 'vitest';
import { putU16, putU32 } from './frame-write.js';
import { macFromNumber } from './packet-filter.js';

describe('frame writes and MAC numbers', () => {
  it('writes big-endian integers and turns 48-bit numbers back into MACs', () => {
    const bytes = new Uint8Array(6);
    putU16(bytes, 0, 0xabcd);
    putU32(bytes, 2, 0xfffffffe);
    expect(Array.from(bytes)).toEqual([0xab, 0xcd, 0xff, 0xff, 0xff, 0xfe]);
    expect(Array.from(macFromNumber(0x02000000000b))).toEqual([2, 0, 0, 0, 0, 0x0b]);
    expect(Array.from(macFromNumber(0xffffffffffff))).toEqual([255, 255, 255, 255, 255, 255]);
  });
});
