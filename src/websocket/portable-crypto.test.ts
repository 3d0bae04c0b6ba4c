import { createHash, createHmac, randomFillSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { computeAccept } from './index.js';
import { createPortableCrypto, sha1 } from './portable-crypto.js';

const hex = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

describe('portable Crypto (SHA-1 in TypeScript, host randomness)', () => {
  it('SHA-1 and HMAC-SHA-1 agree with node:crypto on any input split into any parts', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 5 }),
        fc.uint8Array({ maxLength: 100 }),
        (parts, key) => {
          const node = createHash('sha1');
          const nodeMac = createHmac('sha1', key);
          for (const p of parts) {
            node.update(p);
            nodeMac.update(p);
          }
          expect(hex(sha1(...parts))).toBe(node.digest('hex'));
          const crypto = createPortableCrypto((b) => randomFillSync(b));
          expect(hex(crypto.hmac('sha1', key, ...parts))).toBe(nodeMac.digest('hex'));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('computes the RFC 6455 §1.3 example accept value', () => {
    const crypto = createPortableCrypto((b) => randomFillSync(b));
    expect(computeAccept('dGhlIHNhbXBsZSBub25jZQ==', crypto)).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('fills large requests within the Web Crypto quota, and refuses other digests', () => {
    const sizes: number[] = [];
    const crypto = createPortableCrypto((b) => {
      sizes.push(b.length);
      b.fill(7);
    });
    expect(crypto.randomBytes(150_000).every((b) => b === 7)).toBe(true);
    expect(sizes).toEqual([65_536, 65_536, 18_928]);
    expect(() => crypto.digest('sha256', Uint8Array.of(1))).toThrow(RangeError);
    expect(() => crypto.hmac('md5', Uint8Array.of(1))).toThrow(RangeError);
  });
});
