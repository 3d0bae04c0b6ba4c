import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../node/runtime/index.js';
import { RadiusClientTable } from './clients.js';
import { RadiusAttributeType } from './dictionary.js';
import { DuplicateCache, packedKey } from './duplicate-cache.js';
import { parseRadius, RadiusCode } from './packet.js';
import { checkRequestMessageAuthenticator, signAccessRequest } from './signing.js';

describe('RADIUS server hot-path helpers', () => {
  it('packedKey gives equal keys exactly for equal bytes, whatever the lengths', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), (a, b) => {
        const same = a.length === b.length && a.every((x, i) => x === b[i]);
        expect(packedKey(a) === packedKey(b)).toBe(same);
      }),
    );
    // The cases a length-free packing would confuse: an odd last octet, a 16-octet fast path.
    expect(packedKey(Uint8Array.of(0x41))).not.toBe(packedKey(Uint8Array.of(0, 0x41)));
    expect(packedKey(new Uint8Array(16))).not.toBe(packedKey(new Uint8Array(17)));
  });

  it('client lookups are remembered, forgotten when a client is added, and stay right past the bound', () => {
    const table = new RadiusClientTable([{ address: '10.0.0.0/8', secret: 'a' }]);
    expect(table.lookup('192.0.2.7')).toBeUndefined();
    expect(table.lookup('10.1.2.3')?.name).toBe('10.0.0.0/8');
    table.add({ address: '192.0.2.0/24', secret: 'b' });
    expect(table.lookup('192.0.2.7')?.name).toBe('192.0.2.0/24');
    table.add({ address: '10.1.0.0/16', secret: 'c' });
    expect(table.lookup('10.1.2.3')?.name).toBe('10.1.0.0/16');
    for (let i = 0; i < 3000; i++) {
      const address = `172.16.${i >> 8}.${i & 0xff}`;
      expect(table.lookup(address)).toBeUndefined();
    }
    expect(table.lookup('10.1.2.3')?.name).toBe('10.1.0.0/16');
    expect(table.lookup('not an address')).toBeUndefined();
    expect(table.lookup('not an address')).toBeUndefined();
  });

  it('checks a Message-Authenticator without touching the received bytes', () => {
    const secret = new TextEncoder().encode('s3cret');
    const datagram = signAccessRequest(
      nodeCrypto,
      RadiusCode.AccessRequest,
      7,
      nodeCrypto.randomBytes(16),
      [{ type: RadiusAttributeType.UserName, value: new TextEncoder().encode('bob') }],
      secret,
    );
    const before = datagram.slice();
    const parsed = parseRadius(datagram);
    if (!parsed.ok) throw new Error('did not parse');
    expect(
      checkRequestMessageAuthenticator(nodeCrypto, parsed.value, secret, true),
    ).toBeUndefined();
    expect(datagram).toEqual(before);
    datagram[datagram.length - 1] = (datagram[datagram.length - 1] as number) ^ 1;
    expect(checkRequestMessageAuthenticator(nodeCrypto, parsed.value, secret, true)).toBe('bad');
  });
});

describe('DuplicateCache sweeping', () => {
  it('sweeps expired entries once the oldest expires, and only then', () => {
    const cache = new DuplicateCache(1000, 100);
    const from = { address: '10.0.0.1', port: 1 };
    const key = (i: number) => DuplicateCache.key(from, i, new Uint8Array(16));
    cache.begin(key(0), 0);
    cache.begin(key(1), 500);
    cache.begin(key(2), 1000); // entry 0 is exactly at the window's edge: kept
    expect(cache.size).toBe(3);
    cache.begin(key(3), 1001); // entry 0 has expired
    expect(cache.size).toBe(3);
    expect(cache.lookup(key(0), 1001)).toBeUndefined();
    expect(cache.lookup(key(1), 1001)).toBeDefined();
    cache.begin(key(4), 3000); // everything before 2000 has expired
    expect(cache.size).toBe(1);
    cache.begin(key(5), 3000);
    expect(cache.size).toBe(2);
  });
});
