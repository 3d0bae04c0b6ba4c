import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes/index.js';
import { createStackHarness, ethernetFrame, ipv6Packet } from '../testing/index.js';
import { Icmpv6Packet, Ipv6Packet, parseIpv6Address } from '../wire/index.js';

const PEER_MAC = '02:00:00:00:00:0b';
const ip6 = (text: string) => parseIpv6Address(text)!;

/** The MLDv2 reports among `frames`: source, and each record's type and group. */
function reports(frames: Uint8Array[]) {
  return frames
    .filter((f) => f[12] === 0x86 && f[13] === 0xdd && f[20] === 0)
    .map((frame) => {
      expect(toHex(frame.subarray(0, 6))).toBe('333300000016');
      const ip = Ipv6Packet.unchecked(frame.subarray(14));
      expect(ip.hopLimit).toBe(1);
      expect(toHex(ip.destinationAddress)).toBe(toHex(ip6('ff02::16')));
      expect(Array.from(ip.bytes.subarray(40, 48))).toEqual([58, 0, 5, 2, 0, 0, 1, 0]);
      const icmp = Icmpv6Packet.unchecked(ip.bytes.subarray(48, 40 + ip.payloadLength));
      expect(icmp.type).toBe(143);
      expect(icmp.verifyChecksum(ip.sourceAddress, ip.destinationAddress)).toBe(true);
      const count = (icmp.bytes[6]! << 8) | icmp.bytes[7]!;
      const records = Array.from({ length: count }, (_, i) => ({
        type: icmp.bytes[8 + 20 * i],
        group: toHex(icmp.bytes.subarray(12 + 20 * i, 28 + 20 * i)),
      }));
      return { source: toHex(ip.sourceAddress), records };
    });
}

/** A Multicast Listener Query (MLDv2, 28 bytes) for `group` (`::` = general), to `destination`. */
function query(group: string, destination = 'ff02::1', hopLimit = 1, source = 'fe80::1') {
  const icmp = new Uint8Array(28);
  icmp[0] = 130;
  icmp.set(ip6(group), 8);
  const packet = ipv6Packet({
    source,
    destination,
    nextHeader: 0,
    hopLimit,
    payload: Uint8Array.from([58, 0, 5, 2, 0, 0, 1, 0, ...icmp]),
  });
  const ip = Ipv6Packet.unchecked(packet);
  Icmpv6Packet.unchecked(packet.subarray(48)).fillChecksum(ip.sourceAddress, ip.destinationAddress);
  const mac = destination === 'ff02::1' ? '33:33:00:00:00:01' : '33:33:ff:00:00:0a';
  return ethernetFrame(mac, PEER_MAC, 0x86dd, packet);
}

const LL_GROUP = toHex(ip6('ff02::1:ff00:a'));
const FD_GROUP = toHex(ip6('ff02::1:ff00:1'));
const LL = toHex(ip6('fe80::ff:fe00:a'));

describe('MLDv2 for the solicited-node groups (RFC 3810)', () => {
  it('reports each group it joins (CHANGE_TO_EXCLUDE), from :: while the link-local address is tentative', () => {
    const { startup } = createStackHarness({
      ipv4: [],
      ipv6: [{ address: 'fd00::1', prefixLength: 64 }],
    });
    expect(reports(startup)).toEqual([
      { source: toHex(ip6('::')), records: [{ type: 4, group: LL_GROUP }] },
      { source: toHex(ip6('::')), records: [{ type: 4, group: FD_GROUP }] },
    ]);
  });

  it('answers a General Query with every group, and a Group-Specific Query with that group only', () => {
    const { send, seen, stack } = createStackHarness({
      ipv4: [],
      ipv6: [{ address: 'fd00::1', prefixLength: 64 }],
    });
    send(query('::'));
    send(query('ff02::1:ff00:a', 'ff02::1:ff00:a'));
    send(query('ff02::1:ff00:99')); // not ours
    expect(reports(seen)).toEqual([
      {
        source: LL,
        records: [
          { type: 2, group: LL_GROUP },
          { type: 2, group: FD_GROUP },
        ],
      },
      { source: LL, records: [{ type: 2, group: LL_GROUP }] },
    ]);
    expect(stack.stats().ipv6).toMatchObject({ mldQueries: 3, mldReports: 4 });
  });

  it('drops a query that is not link-local with hop limit 1', () => {
    const { send, seen, stack } = createStackHarness({ ipv4: [] });
    send(query('::', 'ff02::1', 64));
    send(query('::', 'ff02::1', 1, 'fd00::9'));
    expect(seen).toEqual([]);
    expect(stack.stats().ipv6.drops['bad-mld']).toBe(2);
  });

  it('reports leaving a group (CHANGE_TO_INCLUDE, no sources) when its address goes', () => {
    const { stack, seen, pair } = createStackHarness({
      ipv4: [],
      ipv6: [{ address: 'fd00::1', prefixLength: 64 }],
    });
    stack.ipv6.removeAddress(ip6('fd00::1'));
    pair.flush();
    expect(reports(seen)).toEqual([{ source: LL, records: [{ type: 3, group: FD_GROUP }] }]);
  });

  it('sends nothing with mld: false', () => {
    const { startup, send, seen } = createStackHarness({
      ipv4: [],
      limits: { ipv6: { mld: false } },
    });
    send(query('::'));
    expect(reports([...startup, ...seen])).toEqual([]);
  });
});
