import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../bytes/index.js';
import { hmacMd5, md5Digest } from './md5.js';

const ascii = (text: string) => new TextEncoder().encode(text);

describe('pure MD5 and HMAC-MD5', () => {
  it('gives the RFC 1321 test-suite digests', () => {
    const vectors: [string, string][] = [
      ['', 'd41d8cd98f00b204e9800998ecf8427e'],
      ['a', '0cc175b9c0f1b6a831c399e269772661'],
      ['abc', '900150983cd24fb0d6963f7d28e17f72'],
      ['message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
      ['abcdefghijklmnopqrstuvwxyz', 'c3fcd3d76192e4007dfb496cca67e13b'],
      [
        'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
        'd174ab98d277d9f5a5611c2c9f419d9f',
      ],
      ['1234567890'.repeat(8), '57edf4a22be3c955ac49da2e2107b67a'],
    ];
    for (const [text, hex] of vectors) expect(toHex(md5Digest([ascii(text)]))).toBe(hex);
  });

  it('gives the RFC 2202 HMAC-MD5 vectors (short key, 80-byte key)', () => {
    expect(toHex(hmacMd5(ascii('Jefe'), [ascii('what do ya want for nothing?')]))).toBe(
      '750c783e6ab0b503eaa86e310a5db738',
    );
    expect(
      toHex(
        hmacMd5(new Uint8Array(80).fill(0xaa), [
          ascii('Test Using Larger Than Block-Size Key - Hash Key First'),
        ]),
      ),
    ).toBe('6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd');
  });

  it('equals node:crypto for any split of any input, and any key', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.nat(300), { maxLength: 4 }),
        fc.uint8Array({ maxLength: 100 }),
        (data, cuts, key) => {
          const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
          const parts: Uint8Array[] = [];
          let from = 0;
          for (const p of points) {
            parts.push(data.subarray(from, p));
            from = p;
          }
          parts.push(data.subarray(from));
          expect(toHex(md5Digest(parts))).toBe(createHash('md5').update(data).digest('hex'));
          expect(toHex(hmacMd5(key, parts))).toBe(
            createHmac('md5', key).update(data).digest('hex'),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('does not serve a stale HMAC state for a key changed in place', () => {
    const key = ascii('secret-one');
    const data = ascii('packet');
    expect(toHex(hmacMd5(key, [data]))).toBe(createHmac('md5', key).update(data).digest('hex'));
    key[0] = 0x53; // 'S'
    expect(toHex(hmacMd5(key, [data]))).toBe(createHmac('md5', key).update(data).digest('hex'));
  });
});
