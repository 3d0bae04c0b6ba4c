import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalAddress } from './addresses.js';

describe('canonicalAddress', () => {
  it('writes IPv6 addresses the one way (RFC 5952), whatever the spelling (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }),
        fc.boolean(),
        fc.boolean(),
        (words, upper, padded) => {
          fc.pre(!(words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff)); // mapped: below
          const spelled = words
            .map((w) => w.toString(16).padStart(padded ? 4 : 1, '0'))
            .map((w) => (upper ? w.toUpperCase() : w))
            .join(':');
          const canonical = canonicalAddress(spelled);
          expect(canonical).toBeDefined();
          expect(canonical).toBe(canonical?.toLowerCase());
          expect(canonicalAddress(canonical as string)).toBe(canonical);
          // The same address in its fully written form compares equal.
          const expanded = words.map((w) => w.toString(16)).join(':');
          expect(canonicalAddress(expanded)).toBe(canonical);
          // At most one "::", and never for a single zero word.
          expect((canonical as string).split('::').length).toBeLessThanOrEqual(2);
        },
      ),
    );
  });

  it('turns IPv4-mapped IPv6 into IPv4, keeps zones, refuses non-addresses', () => {
    expect(canonicalAddress('::ffff:10.99.0.1')).toBe('10.99.0.1');
    expect(canonicalAddress('::FFFF:0a63:0001')).toBe('10.99.0.1');
    expect(canonicalAddress('FD42:0:0::1')).toBe('fd42::1');
    expect(canonicalAddress('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1');
    expect(canonicalAddress('fe80::1%lk0')).toBe('fe80::1%lk0');
    expect(canonicalAddress('10.99.0.1')).toBe('10.99.0.1');
    for (const bad of ['', 'vtep.example', '10.99.0', '10.99.0.256', '::g', '1:2:3:4:5:6:7:8:9']) {
      expect(canonicalAddress(bad)).toBeUndefined();
    }
  });
});
