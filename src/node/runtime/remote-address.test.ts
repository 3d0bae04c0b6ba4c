import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LOOPBACK_KEY, remoteAddressKey } from './remote-address.js';

const octet = fc.integer({ min: 0, max: 255 });

describe('remoteAddressKey: what per-address bounds count a remote address under', () => {
  it('property: every loopback address (127/8, ::ffff:127/8, ::1) is the one key', () => {
    fc.assert(
      fc.property(fc.tuple(octet, octet, octet), fc.boolean(), ([a, b, c], mapped) => {
        const remote = `${mapped ? '::ffff:' : ''}127.${a}.${b}.${c}`;
        expect(remoteAddressKey(remote)).toBe(LOOPBACK_KEY);
      }),
    );
    expect(remoteAddressKey('::1')).toBe(LOOPBACK_KEY);
  });

  it('property: any other IPv4 address is itself, mapped or not', () => {
    const first = fc.integer({ min: 0, max: 255 }).filter((n) => n !== 127);
    fc.assert(
      fc.property(fc.tuple(first, octet, octet, octet), (quad) => {
        const text = quad.join('.');
        expect(remoteAddressKey(text)).toBe(text);
        expect(remoteAddressKey(`::ffff:${text}`)).toBe(text);
      }),
    );
  });

  it('IPv6 by its /64; no address at all as the empty key', () => {
    expect(remoteAddressKey('2001:db8:1:2::99')).toBe('2001:db8:1:2::/64');
    expect(remoteAddressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(remoteAddressKey(undefined)).toBe('');
  });
});
