import { describe, expect, it } from 'vitest';
import { fromHex } from '../bytes/index.js';
import { finishChecksum, internetChecksum } from '../wire/index.js';
import { getU32, macFromNumber, putU16, putU32, sumBytes } from './inet-sum.js';

describe('inet-sum', () => {
  it('agrees with the wire checksum on odd and even lengths, and on long inputs', () => {
    for (const length of [0, 1, 2, 3, 20, 1481, 70_000]) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 131 + 7) & 0xff);
      expect(finishChecksum(sumBytes(bytes, 0, length))).toBe(internetChecksum(bytes));
    }
  });

  it('sums a range of a larger buffer', () => {
    const bytes = fromHex('ff ff 45 00 00 1c ff');
    expect(finishChecksum(sumBytes(bytes, 2, 6))).toBe(internetChecksum(bytes.subarray(2, 6)));
  });

  it('writes and reads big-endian integers and MACs', () => {
    const bytes = new Uint8Array(6);
    putU16(bytes, 0, 0xabcd);
    putU32(bytes, 2, 0xfffffffe);
    expect(Array.from(bytes)).toEqual([0xab, 0xcd, 0xff, 0xff, 0xff, 0xfe]);
    expect(getU32(bytes, 2)).toBe(0xfffffffe);
    expect(Array.from(macFromNumber(0x02000000000b))).toEqual([2, 0, 0, 0, 0, 0x0b]);
    expect(Array.from(macFromNumber(0xffffffffffff))).toEqual([255, 255, 255, 255, 255, 255]);
  });
});
