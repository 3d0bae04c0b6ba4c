import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../bytes/index.js';
import { nodeCrypto } from './crypto.js';
import { sha1Digest } from './sha1.js';

const ascii = (text: string) => new TextEncoder().encode(text);

describe('sha1Digest', () => {
  it('gives the FIPS 180 vectors, across the padding boundaries', () => {
    expect(toHex(sha1Digest([]))).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709');
    expect(toHex(sha1Digest([ascii('abc')]))).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(
      toHex(sha1Digest([ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')])),
    ).toBe('84983e441c3bd26ebaae4aa1f95129e5e54670f1');
  });

  it('equals node:crypto for any parts, lengths drawn around the 55/56/64-byte edges', () => {
    const part = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.integer({ min: 50, max: 70 }).map((n) => new Uint8Array(n).fill(0xa5)),
    );
    fc.assert(
      fc.property(fc.array(part, { maxLength: 6 }), (parts) => {
        const hash = createHash('sha1');
        for (const p of parts) hash.update(p);
        expect(toHex(sha1Digest(parts))).toBe(hash.digest('hex'));
        // nodeCrypto's SHA-1 (TypeScript below 4 KiB, OpenSSL above) agrees too.
        expect(toHex(nodeCrypto.digest('sha1', ...parts))).toBe(toHex(sha1Digest(parts)));
      }),
    );
  });

  it('digests a long input (node:crypto in nodeCrypto) like the TypeScript one', () => {
    const long = new Uint8Array(10_000).map((_, i) => (i * 7) & 0xff);
    expect(toHex(nodeCrypto.digest('sha1', long))).toBe(toHex(sha1Digest([long])));
  });
});
