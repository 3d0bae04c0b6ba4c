import { createCipheriv, createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { concat, fromHex, toHex } from '../../bytes/index.js';
import { desEncryptBlock, expandDesKey, md4, ntPasswordHash } from './index.js';

const ascii = (s: string) => new TextEncoder().encode(s);

describe('MD4 (RFC 1320)', () => {
  it('matches the RFC 1320 appendix A.5 test suite', () => {
    const suite: [string, string][] = [
      ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
      ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
      ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
      ['message digest', 'd9130a8164549fe818874806e1c7014b'],
      ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
      [
        'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
        '043f8582f241db351ce627e153e7f0e4',
      ],
      ['1234567890'.repeat(8), 'e33b4ddc9c38f2199c3e7b164fcc0536'],
    ];
    for (const [input, digest] of suite) expect(toHex(md4(ascii(input)))).toBe(digest);
  });

  it('hashes across the 55/56/64-byte padding boundaries without error', () => {
    for (const n of [55, 56, 63, 64, 65, 119, 120]) expect(md4(new Uint8Array(n))).toHaveLength(16);
  });

  it('gives the RFC 2759 §9.2 NT password hash of "clientPass"', () => {
    expect(toHex(ntPasswordHash('clientPass'))).toBe('44ebba8d5312b8d611474411f56989ae');
    // PasswordHashHash of the same section.
    expect(toHex(md4(ntPasswordHash('clientPass')))).toBe('41c00c584bd2d91c4017a2a12fa59f3f');
  });
});

describe('DES (FIPS 46-3)', () => {
  it('matches published single-DES vectors', () => {
    // The classic worked example (key 133457799BBCDFF1) and "Now is t" under 0123456789ABCDEF.
    expect(toHex(desEncryptBlock(fromHex('133457799bbcdff1'), fromHex('0123456789abcdef')))).toBe(
      '85e813540f0ab405',
    );
    expect(toHex(desEncryptBlock(fromHex('0123456789abcdef'), ascii('Now is t')))).toBe(
      '3fa40e8a984d4815',
    );
    // FIPS 81 / NBS validation: the all-zero plaintext under key 0101010101010101 (parity-only key).
    expect(toHex(desEncryptBlock(fromHex('0101010101010101'), fromHex('8000000000000000')))).toBe(
      '95f8a5e5dd31d900',
    );
  });

  it('agrees with OpenSSL 3-key 3DES used as single DES (K‖K‖K) on random keys and blocks', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        (key, block) => {
          const cipher = createCipheriv('des-ede3', concat([key, key, key]), null).setAutoPadding(
            false,
          );
          const expected = toHex(cipher.update(block));
          expect(toHex(desEncryptBlock(key, block))).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('expands 7-byte keys with odd parity, and refuses other sizes', () => {
    const key = expandDesKey(fromHex('ffffffffffffff'));
    expect(toHex(key)).toBe('fefefefefefefefe');
    expect(toHex(expandDesKey(fromHex('00000000000000')))).toBe('0101010101010101');
    expect(() => expandDesKey(new Uint8Array(8))).toThrow(RangeError);
    expect(() => desEncryptBlock(new Uint8Array(7), new Uint8Array(8))).toThrow(RangeError);
  });

  it('computes the RFC 2759 §9.2 NT-Response from MD4, SHA-1 and DES', () => {
    const challenge = createHash('sha1')
      .update(fromHex('21402324255e262a28295f2b3a337c7e'))
      .update(fromHex('5b5d7c7d7b3f2f3e3c2c602132262628'))
      .update('User')
      .digest()
      .subarray(0, 8);
    expect(toHex(challenge)).toBe('d02e4386bce91226');
    const z = new Uint8Array(21);
    z.set(ntPasswordHash('clientPass'));
    const response = concat(
      [0, 7, 14].map((at) => desEncryptBlock(expandDesKey(z.subarray(at, at + 7)), challenge)),
    );
    expect(toHex(response)).toBe('82309ecd8d708b5ea08faa3981cd83544233114a3d85d6df');
  });
});
