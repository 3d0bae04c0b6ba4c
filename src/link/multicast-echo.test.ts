/**
 * Echo requests sent to a group: IPv6 answers them (RFC 4443 §4.2: from a
 * unicast address of the interface), IPv4 stays silent for broadcast and
 * multicast echo (Linux's icmp_echo_ignore_broadcasts=1; RFC 1122
 * §3.2.2.6 allows it).
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes/index.js';
import {
  createStackHarness,
  ethernetFrame,
  icmpv4Echo,
  icmpv6Message,
  ipv4Datagram,
  ipv6Packet,
} from '../testing/index.js';

const STACK_MAC = '02:00:00:00:00:0a';
const PEER_MAC = '02:00:00:00:00:0b';
const STACK_LL = 'fe80::ff:fe00:a';
const PEER_LL = 'fe80::ff:fe00:b';

function echo6(source: string, destination: string, destinationMac: string, data: Uint8Array) {
  return ethernetFrame(
    destinationMac,
    PEER_MAC,
    0x86dd,
    ipv6Packet({
      source,
      destination,
      nextHeader: 58,
      hopLimit: 64,
      payload: icmpv6Message(source, destination, {
        kind: 'echo-request',
        code: 0,
        identifier: 5,
        sequenceNumber: 2,
        data,
      }),
    }),
  );
}

function reply6(source: string, destination: string, data: Uint8Array) {
  return ethernetFrame(
    PEER_MAC,
    STACK_MAC,
    0x86dd,
    ipv6Packet({
      source,
      destination,
      nextHeader: 58,
      hopLimit: 64,
      payload: icmpv6Message(source, destination, {
        kind: 'echo-reply',
        code: 0,
        identifier: 5,
        sequenceNumber: 2,
        data,
      }),
    }),
  );
}

describe('IPv6 echo to a multicast group (RFC 4443 §4.2)', () => {
  const data = Uint8Array.from({ length: 24 }, (_, i) => i * 3);

  it('answers a ping to ff02::1 from the link-local address, checksum summed for it', () => {
    const { send, seen, stack } = createStackHarness({ ipv4: [] });
    send(echo6(PEER_LL, 'ff02::1', '33:33:00:00:00:01', data));
    expect(seen.map((f) => toHex(f))).toEqual([toHex(reply6(STACK_LL, PEER_LL, data))]);
    expect(stack.ipv6.stats()).toMatchObject({ echoRequests: 1, echoReplies: 1 });
  });

  it('answers a global requester from the global address on its prefix', () => {
    const { send, seen } = createStackHarness({
      ipv6: [{ address: 'fd42::2', prefixLength: 64 }],
    });
    send(echo6('fd42::1', 'ff02::1', '33:33:00:00:00:01', data));
    expect(seen.map((f) => toHex(f))).toEqual([toHex(reply6('fd42::2', 'fd42::1', data))]);
  });

  it('answers a ping to its solicited-node group', () => {
    const { send, seen } = createStackHarness();
    send(echo6(PEER_LL, 'ff02::1:ff00:a', '33:33:ff:00:00:0a', data));
    expect(seen.map((f) => toHex(f))).toEqual([toHex(reply6(STACK_LL, PEER_LL, data))]);
  });

  it('does not answer a group it has not joined', () => {
    const { send, seen, stack } = createStackHarness();
    send(echo6(PEER_LL, 'ff02::2', '33:33:00:00:00:02', data));
    expect(seen).toEqual([]);
    expect(stack.ipv6.stats().echoReplies).toBe(0);
  });
});

describe('IPv4 echo to a broadcast or multicast address: ignored, as Linux does by default', () => {
  function ping4(destination: string, destinationMac: string) {
    return ethernetFrame(
      destinationMac,
      PEER_MAC,
      0x0800,
      ipv4Datagram({
        source: '10.0.0.2',
        destination,
        protocol: 1,
        payload: icmpv4Echo(8, 1, 1, new Uint8Array(8)),
      }),
    );
  }

  for (const destination of ['10.0.0.255', '255.255.255.255']) {
    it(`counts a ping to ${destination} and sends nothing`, () => {
      const { send, seen, stack } = createStackHarness({
        ipv4: [{ address: '10.0.0.1', prefixLength: 24 }],
        ipv6LinkLocal: false,
      });
      send(ping4(destination, 'ff:ff:ff:ff:ff:ff'));
      expect(seen).toEqual([]);
      expect(stack.ipv4.stats()).toMatchObject({ echoRequests: 1, echoReplies: 0 });
    });
  }

  it('ignores a ping to 224.0.0.1 (no IPv4 group is joined)', () => {
    const { send, seen, stack } = createStackHarness({
      ipv4: [{ address: '10.0.0.1', prefixLength: 24 }],
      ipv6LinkLocal: false,
    });
    send(ping4('224.0.0.1', '01:00:5e:00:00:01'));
    expect(seen).toEqual([]);
    expect(stack.ipv4.stats().echoRequests).toBe(0);
  });
});
