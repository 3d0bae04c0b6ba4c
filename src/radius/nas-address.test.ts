/**
 * The canonical NAS address: every spelling of one address (IPv4, IPv4-mapped
 * in dotted or hex form, IPv6 full or compressed, any case, leading zeros,
 * a trailing dotted quad) gives the same text, and different addresses
 * never do.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIpv6Address } from '../wire/ipv6.js';
import { canonicalAddress, sameAddress } from './nas-address.js';

const octets = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 });
const dotted = (bytes: readonly number[]) => bytes.join('.');

/** One group as text: padded with leading zeros to `width` (at least its own length), in either case. */
function group(value: number, width: number, upper: boolean): string {
  const hex = value.toString(16).padStart(width, '0');
  return upper ? hex.toUpperCase() : hex;
}

/** A spelling drawn for eight groups: per-group padding and case, `::` over a drawn zero run, or none. */
const spelling = (groups: readonly number[]) =>
  fc
    .record({
      widths: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 8, maxLength: 8 }),
      upper: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
      gapPick: fc.nat(),
      compress: fc.boolean(),
      quadTail: fc.boolean(),
    })
    .map(({ widths, upper, gapPick, compress, quadTail }) => {
      const texts = groups.map((g, i) => group(g, widths[i] ?? 1, upper[i] ?? false));
      // The last 32 bits may be written as a dotted quad (RFC 4291 §2.2, form 3).
      const tail = quadTail
        ? [
            dotted([
              (groups[6] ?? 0) >> 8,
              (groups[6] ?? 0) & 0xff,
              (groups[7] ?? 0) >> 8,
              (groups[7] ?? 0) & 0xff,
            ]),
          ]
        : texts.slice(6);
      const head = texts.slice(0, 6);
      const all = [...head, ...tail];
      const slots = quadTail ? 6 : 8;
      // Runs of zero groups that `::` may stand for (any length from one, within the hex groups).
      const runs: [number, number][] = [];
      for (let from = 0; from < slots; from++) {
        for (let to = from + 1; to <= slots && groups[to - 1] === 0; to++) runs.push([from, to]);
      }
      const run = compress && runs.length > 0 ? runs[gapPick % runs.length] : undefined;
      if (run === undefined) return all.join(':');
      return `${all.slice(0, run[0]).join(':')}::${all.slice(run[1]).join(':')}`;
    });

const v6Groups = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), {
  minLength: 8,
  maxLength: 8,
});

const isMapped = (groups: readonly number[]) =>
  groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;

const mappedGroups = (bytes: readonly number[]) => [
  0,
  0,
  0,
  0,
  0,
  0xffff,
  ((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0),
  ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0),
];

const bytesOf = (groups: readonly number[]) =>
  Uint8Array.from(groups.flatMap((g) => [g >> 8, g & 0xff]));

/** An IPv4 NAS as a socket may report it: its dotted quad, or any spelling of its mapped form. */
const ipv4Spelt = octets.chain((bytes) =>
  fc
    .oneof(fc.constant(dotted(bytes)), spelling(mappedGroups(bytes)))
    .map((text) => ({ groups: mappedGroups(bytes), text, canonical: dotted(bytes) })),
);

/** An IPv6 NAS (not mapped) in any spelling, with an optional zone id. */
const ipv6Spelt = fc
  .tuple(
    v6Groups.filter((g) => !isMapped(g)),
    fc.option(fc.constantFrom('%eth0', '%2', '%lo'), { nil: undefined }),
  )
  .chain(([groups, zone]) =>
    spelling(groups).map((text) => ({
      groups,
      text: text + (zone ?? ''),
      canonical: formatIpv6Address(bytesOf(groups)) + (zone ?? ''),
      zone,
    })),
  );

describe('canonicalAddress', () => {
  it('an IPv4 NAS in every spelling a socket or a peer gives is its dotted quad', () => {
    fc.assert(
      fc.property(ipv4Spelt, ({ text, canonical }) => {
        expect(canonicalAddress(text)).toBe(canonical);
        expect(sameAddress(text, canonical)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('IPv6 in every spelling is its RFC 5952 text (zone kept), and canonical text stays', () => {
    fc.assert(
      fc.property(ipv6Spelt, ({ text, canonical }) => {
        expect(canonicalAddress(text)).toBe(canonical);
        expect(canonicalAddress(canonical)).toBe(canonical);
      }),
      { numRuns: 500 },
    );
  });

  it('two spellings are the same NAS exactly when their addresses (and zones) are equal', () => {
    const spelt = fc.oneof(
      ipv4Spelt.map((a) => ({ ...a, zone: undefined as string | undefined })),
      ipv6Spelt,
    );
    // Drawn apart, and drawn as two spellings of one address, so both answers are exercised.
    const pair = fc.oneof(
      fc.tuple(spelt, spelt),
      v6Groups.chain((groups) =>
        fc.tuple(
          spelling(groups).map((text) => ({ groups, text, zone: undefined as string | undefined })),
          spelling(groups).map((text) => ({ groups, text, zone: undefined as string | undefined })),
        ),
      ),
    );
    fc.assert(
      fc.property(pair, ([a, b]) => {
        const equal = a.groups.every((g, i) => g === b.groups[i]) && a.zone === b.zone;
        expect(sameAddress(a.text, b.text)).toBe(equal);
      }),
      { numRuns: 1000 },
    );
  });

  it('examples: loopback, case, a zone, text that is not an address', () => {
    expect(canonicalAddress('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(canonicalAddress('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(canonicalAddress('::FFFF:A00:1')).toBe('10.0.0.1');
    expect(canonicalAddress('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(canonicalAddress('FE80::0:1%eth0')).toBe('fe80::1%eth0');
    expect(sameAddress('fe80::1%eth0', 'fe80::1%eth1')).toBe(false);
    expect(sameAddress('::1', '127.0.0.1')).toBe(false);
    expect(canonicalAddress('radsec')).toBe('radsec');
    expect(canonicalAddress('010.0.0.1')).toBe('010.0.0.1');
  });

  it('answers alike once its memo of spellings has filled and emptied (issue 16: per request now)', () => {
    const mapped = (i: number) => `::ffff:10.${i >> 8}.${i & 0xff}.1`;
    const first = Array.from({ length: 3000 }, (_, i) => canonicalAddress(mapped(i)));
    const again = Array.from({ length: 3000 }, (_, i) => canonicalAddress(mapped(i)));
    expect(again).toEqual(first);
    expect(first[0]).toBe('10.0.0.1');
    expect(first[2999]).toBe('10.11.183.1');
    expect(canonicalAddress('::FFFF:A00:1')).toBe('10.0.0.1');
  });
});
