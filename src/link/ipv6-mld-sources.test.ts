/**
 * MLDv2 Multicast Address and Source Specific Queries (RFC 3810 §5.1.10,
 * §6.2, §6.3): the stack listens to every source of its groups (EXCLUDE {}),
 * so it answers with MODE_IS_INCLUDE of the queried sources, merges the
 * sources of queries that overlap, falls back to MODE_IS_EXCLUDE {} when a
 * group-specific query is owed too, and drops a query whose Number of
 * Sources runs past its length.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes/index.js';
import { createStackHarness, ethernetFrame, ipv6Packet } from '../testing/index.js';
import { Icmpv6Packet, Ipv6Packet, parseIpv6Address } from '../wire/index.js';

const PEER_MAC = '02:00:00:00:00:0b';
const GROUP = 'ff02::1:ff00:a'; // the stack's solicited-node group
const ip6 = (text: string) => parseIpv6Address(text) as Uint8Array;

/** An MLDv2 query for GROUP naming `sources`; `count` overrides Number of Sources. */
function sourceQuery(sources: readonly string[], count = sources.length, maxResponseMs = 100) {
  const icmp = new Uint8Array(28 + 16 * sources.length);
  icmp[0] = 130;
  icmp[4] = maxResponseMs >> 8;
  icmp[5] = maxResponseMs & 0xff;
  icmp.set(ip6(GROUP), 8);
  icmp[26] = count >> 8;
  icmp[27] = count & 0xff;
  sources.forEach((source, i) => icmp.set(ip6(source), 28 + 16 * i));
  const packet = ipv6Packet({
    source: 'fe80::1',
    destination: GROUP,
    nextHeader: 0,
    hopLimit: 1,
    payload: Uint8Array.from([58, 0, 5, 2, 0, 0, 1, 0, ...icmp]),
  });
  const ip = Ipv6Packet.unchecked(packet);
  Icmpv6Packet.unchecked(packet.subarray(48)).fillChecksum(ip.sourceAddress, ip.destinationAddress);
  return ethernetFrame('33:33:ff:00:00:0a', PEER_MAC, 0x86dd, packet);
}

/** The records about GROUP in the MLDv2 reports among `frames`: type and sorted sources. */
function records(frames: Uint8Array[]) {
  const found: { type: number; sources: string[] }[] = [];
  for (const frame of frames.filter((f) => f[12] === 0x86 && f[13] === 0xdd && f[20] === 0)) {
    const ip = Ipv6Packet.unchecked(frame.subarray(14));
    const icmp = Icmpv6Packet.unchecked(ip.bytes.subarray(48, 40 + ip.payloadLength));
    if (icmp.type !== 143) continue;
    expect(icmp.verifyChecksum(ip.sourceAddress, ip.destinationAddress)).toBe(true);
    let at = 8;
    for (let r = 0; r < ((icmp.bytes[6]! << 8) | icmp.bytes[7]!); r++) {
      const count = (icmp.bytes[at + 2]! << 8) | icmp.bytes[at + 3]!;
      const group = toHex(icmp.bytes.subarray(at + 4, at + 20));
      const sources = Array.from({ length: count }, (_, i) =>
        toHex(icmp.bytes.subarray(at + 20 + 16 * i, at + 36 + 16 * i)),
      ).sort();
      if (group === toHex(ip6(GROUP))) found.push({ type: icmp.bytes[at]!, sources });
      at += 20 + 16 * count;
    }
    expect(at).toBe(icmp.bytes.length);
  }
  return found;
}

const hexes = (...texts: string[]) => texts.map((t) => toHex(ip6(t))).sort();

describe('MLDv2 Multicast Address and Source Specific Query (RFC 3810 §6.3)', () => {
  // Regression (review 4 of issue 9): answered with MODE_IS_EXCLUDE {}.
  it('is answered with MODE_IS_INCLUDE of the queried sources', () => {
    const { send, seen, clock, pair } = createStackHarness();
    seen.length = 0;
    send(sourceQuery(['fe80::99', 'fe80::98']));
    clock.advance(200);
    pair.flush();
    expect(records(seen)).toEqual([{ type: 1, sources: hexes('fe80::99', 'fe80::98') }]);
  });

  it('merges the sources of a second query for the same group into one answer', () => {
    const { send, seen, clock, pair } = createStackHarness();
    seen.length = 0;
    send(sourceQuery(['fe80::99']));
    send(sourceQuery(['fe80::98', 'fe80::99']));
    clock.advance(200);
    pair.flush();
    expect(records(seen)).toEqual([{ type: 1, sources: hexes('fe80::99', 'fe80::98') }]);
  });

  it('drops a query whose Number of Sources runs past its length (bad-mld)', () => {
    const { send, seen, clock, pair, stack } = createStackHarness();
    seen.length = 0;
    send(sourceQuery(['fe80::99'], 2));
    clock.advance(200);
    pair.flush();
    expect(records(seen)).toEqual([]);
    expect(stack.stats().ipv6.drops['bad-mld']).toBe(1);
  });

  it('answers any mix of group and source specific queries by the §6.2 rules', () => {
    const pool = ['fe80::91', 'fe80::92', 'fe80::93', 'fe80::94'];
    fc.assert(
      fc.property(
        fc.array(fc.subarray(pool), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 1000 }),
        (queries, maxResponseMs) => {
          const { send, seen, clock, pair } = createStackHarness();
          seen.length = 0;
          for (const sources of queries) send(sourceQuery(sources, sources.length, maxResponseMs));
          clock.advance(maxResponseMs + 1);
          pair.flush();
          // An empty list is a group-specific query: then the whole group is reported.
          const expected = queries.some((q) => q.length === 0)
            ? { type: 2, sources: [] }
            : { type: 1, sources: hexes(...new Set(queries.flat())) };
          expect(records(seen)).toEqual([expected]);
        },
      ),
      { numRuns: 100 },
    );
  });
});
