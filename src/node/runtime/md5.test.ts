import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../bytes/index.js';
import { nodeCrypto } from './crypto.js';
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

  it('gives the RFC 2104 appendix HMAC-MD5 vectors', () => {
    const hex = (bytes: Uint8Array) => toHex(bytes);
    expect(hex(hmacMd5(new Uint8Array(16).fill(0x0b), [ascii('Hi There')]))).toBe(
      '9294727a3638bb1c13f48ef8158bfc9d',
    );
    expect(hex(hmacMd5(ascii('Jefe'), [ascii('what do ya want for nothing?')]))).toBe(
      '750c783e6ab0b503eaa86e310a5db738',
    );
    expect(hex(hmacMd5(new Uint8Array(16).fill(0xaa), [new Uint8Array(50).fill(0xdd)]))).toBe(
      '56be34521d144c88dbb8c733f0e8b3f6',
    );
  });

  /** Lengths around the padding and block edges, where MD5 implementations go wrong. */
  const EDGES = [
    0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 121, 127, 128, 129, 191, 192, 1023, 1024, 2047, 2048,
  ];
  const length = fc.oneof(fc.constantFrom(...EDGES), fc.integer({ min: 0, max: 2048 }));
  const keyLength = fc.oneof(
    fc.constantFrom(0, 1, 16, 63, 64, 65, 128, 129),
    fc.integer({ min: 0, max: 200 }),
  );

  it('nodeCrypto md5 and hmac-md5 equal node:crypto for lengths 0..2048, block edges, any split, any key (property)', () => {
    fc.assert(
      fc.property(
        length.chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
        fc.array(fc.nat(2048), { maxLength: 5 }),
        keyLength.chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
        (data, cuts, key) => {
          const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
          const parts: Uint8Array[] = [];
          let from = 0;
          for (const p of points) {
            parts.push(data.subarray(from, p));
            from = p;
          }
          parts.push(data.subarray(from));
          const md5 = createHash('md5').update(data).digest('hex');
          const mac = createHmac('md5', key).update(data).digest('hex');
          expect(toHex(nodeCrypto.digest('md5', ...parts))).toBe(md5);
          expect(toHex(nodeCrypto.hmac('md5', key, ...parts))).toBe(mac);
          // The same key object again (its cached pads) and a fresh copy of it agree.
          expect(toHex(nodeCrypto.hmac('md5', key, ...parts))).toBe(mac);
          expect(toHex(nodeCrypto.hmac('md5', key.slice(), data))).toBe(mac);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('equals node:crypto at every length from 0 to 300, and for views into a larger buffer', () => {
    const backing = new Uint8Array(400).map((_, i) => (i * 131 + 7) & 0xff);
    const key = backing.subarray(3, 70); // 67 bytes: longer than a block, hashed first
    for (let n = 0; n <= 300; n++) {
      const view = backing.subarray(50, 50 + n);
      expect(toHex(md5Digest([view]))).toBe(createHash('md5').update(view).digest('hex'));
      expect(toHex(hmacMd5(key, [view]))).toBe(createHmac('md5', key).update(view).digest('hex'));
    }
  });
});
