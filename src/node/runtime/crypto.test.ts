import { describe, expect, it } from 'vitest';
import { nodeCrypto } from './crypto.js';
import { systemClock } from './clock.js';
import { toHex } from '../../bytes/index.js';

const ascii = (text: string) => new TextEncoder().encode(text);

describe('nodeCrypto', () => {
  it('computes the standard digests of "abc" (FIPS 180 / RFC 1321 vectors)', () => {
    expect(toHex(nodeCrypto.digest('md5', ascii('abc')))).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(toHex(nodeCrypto.digest('sha1', ascii('a'), ascii('bc')))).toBe(
      'a9993e364706816aba3e25717850c26c9cd0d89d',
    );
    expect(toHex(nodeCrypto.digest('sha256', ascii('abc')))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('computes HMAC (RFC 2202 / RFC 4231 test case 2)', () => {
    const key = ascii('Jefe');
    const data = ascii('what do ya want for nothing?');
    expect(toHex(nodeCrypto.hmac('md5', key, data))).toBe('750c783e6ab0b503eaa86e310a5db738');
    expect(toHex(nodeCrypto.hmac('sha256', key, data))).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('returns plain Uint8Arrays and fills random bytes in place', () => {
    const digest = nodeCrypto.digest('sha1');
    expect(Object.getPrototypeOf(digest)).toBe(Uint8Array.prototype);
    const a = nodeCrypto.randomBytes(32);
    const b = new Uint8Array(32);
    nodeCrypto.fillRandom(b);
    expect(a.length).toBe(32);
    expect(toHex(a)).not.toBe(toHex(b));
  });

  it('never hands out the same pooled random bytes twice, across pool refills', () => {
    // 16-byte draws come from an 8 KiB pool: 2,000 of them cross several refills.
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const draw = i % 2 === 0 ? nodeCrypto.randomBytes(16) : new Uint8Array(16);
      if (i % 2 === 1) nodeCrypto.fillRandom(draw);
      seen.add(toHex(draw));
    }
    expect(seen.size).toBe(2000);
    // Odd sizes and sizes past the pooled range keep their length and are not all zero.
    for (const n of [1, 3, 255, 256, 257, 9000]) {
      const draw = nodeCrypto.randomBytes(n);
      expect(draw.length).toBe(n);
      if (n >= 16) expect(draw.some((b) => b !== 0)).toBe(true);
    }
  });

  it('digests MD5 and HMAC-MD5 of long inputs (node:crypto) like short ones (TypeScript)', () => {
    const long = new Uint8Array(40_000).map((_, i) => i & 0xff);
    const key = ascii('k');
    expect(toHex(nodeCrypto.digest('md5', long))).toBe(
      toHex(nodeCrypto.digest('md5', long.subarray(0, 10_000), long.subarray(10_000))),
    );
    expect(toHex(nodeCrypto.hmac('md5', key, long))).toBe(
      toHex(nodeCrypto.hmac('md5', key, long.subarray(0, 20_000), long.subarray(20_000))),
    );
  });
});

describe('systemClock', () => {
  it('reads epoch milliseconds that never go backwards', () => {
    const first = systemClock.now();
    const second = systemClock.now();
    expect(second).toBeGreaterThanOrEqual(first);
    expect(Math.abs(first - Date.now())).toBeLessThan(1000);
  });

  it('fires a timer and cancels one', async () => {
    let cancelledFired = false;
    systemClock.setTimer(1, () => (cancelledFired = true)).cancel();
    await new Promise<void>((resolve) => systemClock.setTimer(5, resolve));
    expect(cancelledFired).toBe(false);
  });
});
