import { describe, expect, it } from 'vitest';
import { fromHex, hexdump, toHex } from './hex.js';
import { NetrxError } from '../runtime/index.js';

describe('hex', () => {
  it('reads annotated fixtures: separators and comments are ignored', () => {
    const bytes = fromHex(`
      ff:ff:ff:ff:ff:ff   # destination
      00-11-22-33-44-55   // source
      08_06               # EtherType ARP
    `);
    expect(toHex(bytes)).toBe('ffffffffffff0011223344550806');
  });

  it('writes with a separator', () => {
    expect(toHex(Uint8Array.of(0, 0xab, 0x10), ':')).toBe('00:ab:10');
    expect(toHex(new Uint8Array(0))).toBe('');
  });

  it('reads upper-case digits', () => {
    expect(Array.from(fromHex('ABcd'))).toEqual([0xab, 0xcd]);
  });

  it('rejects bad characters and odd digit counts with a coded error', () => {
    expect(() => fromHex('0g')).toThrow(/unexpected character "g" at index 1/);
    expect(() => fromHex('abc')).toThrow(/odd number of digits: 3/);
    try {
      fromHex('zz');
    } catch (error) {
      expect(error).toBeInstanceOf(NetrxError);
      expect((error as NetrxError).code).toBe('ERR_HEX_INVALID');
    }
  });

  it('dumps bytes with offsets and printable ASCII', () => {
    const dump = hexdump(new TextEncoder().encode('GET / HTTP/1.1\r\nHost'));
    expect(dump.split('\n')).toEqual([
      '00000000  47 45 54 20 2f 20 48 54 54 50 2f 31 2e 31 0d 0a  |GET / HTTP/1.1..|',
      '00000010  48 6f 73 74                                      |Host|',
    ]);
  });
});
