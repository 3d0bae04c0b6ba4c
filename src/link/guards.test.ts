/**
 * Guards on the receive path that no other test noticed when removed: each
 * case here fails if its guard goes (checked by removing each one).
 */
import { describe, expect, it } from 'vitest';
import {
  arpPacket,
  createStackHarness,
  ethernetFrame,
  icmpv6Message,
  ipv4Datagram,
  ipv6Packet,
  udp4,
} from '../testing/index.js';
import { Ipv4Packet, parseIpv6Address, parseMac, type Icmpv6Message } from '../wire/index.js';

const STACK_MAC = '02:00:00:00:00:0a';
const PEER_MAC = '02:00:00:00:00:0b';
const STACK_LL = 'fe80::ff:fe00:a';
const PEER_LL = 'fe80::ff:fe00:b';
const STACK_SN = 'ff02::1:ff00:a';

function setup() {
  const harness = createStackHarness({ ipv4: [{ address: '10.0.0.1', prefixLength: 24 }] });
  harness.seen.length = 0;
  return harness;
}

function icmp6(
  source: string,
  destination: string,
  message: Icmpv6Message,
  dstMac = STACK_MAC,
  hopLimit = 255,
) {
  return ethernetFrame(
    dstMac,
    PEER_MAC,
    0x86dd,
    ipv6Packet({
      source,
      destination,
      nextHeader: 58,
      hopLimit,
      payload: icmpv6Message(source, destination, message),
    }),
  );
}

describe('ARP guards (arp-binding.ts)', () => {
  for (const senderMac of ['01:00:5e:00:00:01', 'ff:ff:ff:ff:ff:ff', '00:00:00:00:00:00']) {
    it(`drops a request whose sender hardware address is ${senderMac}: not learnt, not answered`, () => {
      const { stack, seen, send } = setup();
      // The Ethernet source is a proper unicast MAC: only the ARP field is bad.
      send(
        ethernetFrame(
          'ff:ff:ff:ff:ff:ff',
          PEER_MAC,
          0x0806,
          arpPacket({ operation: 1, senderMac, senderIp: '10.0.0.2', targetIp: '10.0.0.1' }),
        ),
      );
      expect(seen).toEqual([]);
      expect(stack.arp.entries()).toEqual([]);
      expect(stack.arp.stats().drops['bad-sender']).toBe(1);
    });
  }

  it('drops its own looped-back gratuitous ARP without calling it a conflict', () => {
    const { stack, seen, send } = setup();
    send(
      ethernetFrame(
        'ff:ff:ff:ff:ff:ff',
        STACK_MAC,
        0x0806,
        arpPacket({
          operation: 1,
          senderMac: STACK_MAC,
          senderIp: '10.0.0.1',
          targetIp: '10.0.0.1',
        }),
      ),
    );
    expect(seen).toEqual([]);
    expect(stack.arp.stats().conflicts).toBe(0);
    expect(stack.arp.stats().drops['own-frame']).toBe(1);
  });
});

describe('IPv6 source guard (ipv6-binding.ts)', () => {
  it('drops an echo request from a multicast source, unanswered', () => {
    const { stack, seen, send } = setup();
    send(
      icmp6(
        'ff02::1',
        STACK_LL,
        {
          kind: 'echo-request',
          code: 0,
          identifier: 1,
          sequenceNumber: 1,
          data: Uint8Array.of(1),
        },
        STACK_MAC,
        64,
      ),
    );
    expect(seen).toEqual([]);
    expect(stack.ipv6.stats().drops['bad-source']).toBe(1);
    expect(stack.ipv6.stats().echoRequests).toBe(0);
  });
});

describe('ICMP error quote cap (ipv4-icmp.ts)', () => {
  it('quotes at most 548 bytes: a Port Unreachable about a 1000-byte datagram is 576 bytes of IP', () => {
    const { seen, send } = setup();
    send(
      ethernetFrame(
        STACK_MAC,
        PEER_MAC,
        0x0800,
        ipv4Datagram({
          source: '10.0.0.2',
          destination: '10.0.0.1',
          protocol: 17,
          payload: udp4('10.0.0.2', 4000, '10.0.0.1', 9, new Uint8Array(972)),
        }),
      ),
    );
    expect(seen).toHaveLength(1);
    const ip = Ipv4Packet.unchecked(seen[0]!.subarray(14));
    expect(ip.protocol).toBe(1);
    expect(ip.totalLength).toBe(576);
    expect(seen[0]!.length).toBe(14 + 576);
    // The quote is the datagram's first 548 bytes: its header leads it.
    expect(seen[0]![14 + 28]).toBe(0x45);
    expect(((seen[0]![14 + 28 + 2] as number) << 8) | (seen[0]![14 + 28 + 3] as number)).toBe(1000);
  });
});

describe('Neighbor Discovery guards (ipv6-nd.ts)', () => {
  it('drops a DAD probe (source ::) that carries a Source Link-Layer Address option', () => {
    const { stack, seen, send } = setup();
    send(
      icmp6(
        '::',
        STACK_SN,
        {
          kind: 'neighbor-solicitation',
          code: 0,
          reserved: 0,
          targetAddress: parseIpv6Address(STACK_LL)!,
          options: [{ kind: 'source-link-layer-address', address: parseMac(PEER_MAC)! }],
        },
        '33:33:ff:00:00:0a',
      ),
    );
    // RFC 4861 §7.1.1: silently discarded, so no NA to all-nodes either.
    expect(seen).toEqual([]);
    expect(stack.ipv6.stats().drops['bad-nd']).toBe(1);
    expect(stack.ipv6.stats().advertisementsSent).toBe(0);
  });

  it('drops a solicited advertisement sent to a multicast address; the entry stays unresolved', () => {
    const { stack, send, pair } = setup();
    expect(stack.ipv6.resolve(parseIpv6Address(PEER_LL)!)).toBeUndefined();
    pair.flush();
    send(
      icmp6(
        PEER_LL,
        'ff02::1',
        {
          kind: 'neighbor-advertisement',
          code: 0,
          router: false,
          solicited: true,
          override: true,
          reserved: 0,
          targetAddress: parseIpv6Address(PEER_LL)!,
          options: [{ kind: 'target-link-layer-address', address: parseMac(PEER_MAC)! }],
        },
        '33:33:00:00:00:01',
      ),
    );
    expect(stack.ipv6.entries()).toMatchObject([{ state: 'incomplete', mac: undefined }]);
    expect(stack.ipv6.stats().drops['bad-nd']).toBe(1);
  });
});
