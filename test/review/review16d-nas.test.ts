/**
 * review16d: the hand mutation M7 of `canonicalAddress` ("IPv4-mapped"
 * judged by bytes 10 and 11 only) survived main's nas-address property
 * and radius-nas-address tests: their IPv6 draws almost never have ffff
 * there with a non-zero prefix (1 in 65,536). Under it an IPv6 NAS such as
 * `2001:db8::ffff:a00:1` would be the IPv4 NAS 10.0.0.1 and could continue
 * that NAS's conversations. This example kills it (seen: plain `it`,
 * green on main).
 */
import { describe, expect, it } from 'vitest';
import { canonicalAddress, sameAddress } from '../../src/radius/nas-address.js';

describe('review16d: only ::ffff:0:0/96 is an IPv4 NAS', () => {
  it('an IPv6 address with ffff in bytes 10-11 and any other prefix stays IPv6', () => {
    expect(canonicalAddress('::ffff:10.0.0.1')).toBe('10.0.0.1');
    for (const v6 of ['2001:db8::ffff:a00:1', '::1:ffff:a00:1', '64:ff9b::ffff:a00:1']) {
      expect(canonicalAddress(v6)).not.toBe('10.0.0.1');
      expect(sameAddress(v6, '10.0.0.1')).toBe(false);
    }
  });
});
