/**
 * Where a send goes when its destination is not an ordinary unicast
 * neighbour: martians refused (ERR_LINK_BAD_DESTINATION), multicast straight
 * to its group MAC with TTL / hop limit 1 (never via the gateway), and an
 * own address delivered to the local socket without touching the wire.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes/index.js';
import { createStackHarness } from '../testing/index.js';
import { Ipv4Packet, Ipv6Packet, UdpDatagram, verifyInternetChecksum } from '../wire/index.js';

function setup() {
  const harness = createStackHarness({
    ipv4: [{ address: '10.0.0.1', prefixLength: 24 }],
    ipv6: [{ address: 'fd42::1', prefixLength: 64 }],
    // A gateway for both families: the old code sent martians and IPv4 multicast to it.
    gateway: { ipv4: '10.0.0.254', ipv6: 'fd42::fe' },
  });
  harness.seen.length = 0;
  return harness;
}

describe('sends to martian destinations are refused', () => {
  for (const address of [
    '127.0.0.1',
    '127.1.2.3',
    '0.0.0.0',
    '0.1.2.3',
    '240.0.0.1',
    '::1',
    '::',
    '::ffff:10.0.0.2',
    'ff01::1',
    'ff00::1',
  ]) {
    it(`${address}: ERR_LINK_BAD_DESTINATION, nothing on the wire`, () => {
      const { stack, seen, pair } = setup();
      const socket = stack.udp.bind({ port: 5000 });
      let error: unknown;
      try {
        socket.send(Uint8Array.of(1), { address, port: 7 });
      } catch (caught) {
        error = caught;
      }
      expect(error).toMatchObject({ code: 'ERR_LINK_BAD_DESTINATION' });
      expect((error as Error).message).toContain(`Cannot send to ${address}`);
      pair.flush();
      expect(seen).toEqual([]);
    });
  }
});

describe('multicast goes to the group MAC, never via the gateway', () => {
  for (const [group, mac] of [
    ['224.0.0.251', '01005e0000fb'],
    ['239.255.1.2', '01005e7f0102'],
    ['239.129.1.2', '01005e010102'],
  ] as const) {
    it(`IPv4 ${group}: to ${mac}, TTL 1, no ARP`, () => {
      const { stack, seen, pair } = setup();
      const socket = stack.udp.bind({ port: 5000 });
      expect(socket.send(Uint8Array.of(9, 9), { address: group, port: 5353 })).toBe('sent');
      pair.flush();
      expect(seen).toHaveLength(1);
      const frame = seen[0]!;
      expect(toHex(frame.subarray(0, 6))).toBe(mac);
      expect(toHex(frame.subarray(12, 14))).toBe('0800');
      const ip = Ipv4Packet.unchecked(frame.subarray(14));
      expect(ip.timeToLive).toBe(1);
      expect(verifyInternetChecksum(frame.subarray(14, 34))).toBe(true);
      expect(UdpDatagram.unchecked(ip.payload).destinationPort).toBe(5353);
      expect(stack.arp.stats().cache.entries).toBe(0);
    });
  }

  it('IPv6 ff02::fb: to 33:33:00:00:00:fb, hop limit 1, no NS', () => {
    const { stack, seen, pair } = setup();
    const socket = stack.udp.bind({ port: 5000 });
    expect(socket.send(Uint8Array.of(9), { address: 'ff02::fb', port: 5353 })).toBe('sent');
    pair.flush();
    expect(seen).toHaveLength(1);
    expect(toHex(seen[0]!.subarray(0, 6))).toBe('3333000000fb');
    expect(Ipv6Packet.unchecked(seen[0]!.subarray(14)).hopLimit).toBe(1);
    expect(stack.ipv6.stats().cache.entries).toBe(0);
  });
});

describe('a send to an own address is delivered locally', () => {
  for (const [address, other] of [
    ['10.0.0.1', '10.0.0.1'],
    ['fd42::1', 'fd42::1'],
    ['fe80::ff:fe00:a', 'fe80::ff:fe00:a'],
  ] as const) {
    it(`${address}: reaches the socket bound there, nothing on the wire`, () => {
      const { stack, seen, pair } = setup();
      const server = stack.udp.bind({ port: 7 });
      const client = stack.udp.bind({ port: 9000 });
      const op = server.receive();
      expect(client.send(Uint8Array.of(1, 2, 3), { address, port: 7 })).toBe('sent');
      pair.flush();
      expect(op.result).toMatchObject({
        status: 'data',
        data: Uint8Array.of(1, 2, 3),
        meta: { address: other, port: 9000 },
      });
      expect(seen).toEqual([]);
      const family = address.includes(':') ? stack.ipv6 : stack.ipv4;
      expect(family.stats().local).toBe(1);
    });
  }

  it('counts a send to an own address nobody listens on, and sends no ICMP error', () => {
    const { stack, seen, pair } = setup();
    const client = stack.udp.bind({ port: 9000 });
    expect(client.send(Uint8Array.of(1), { address: '10.0.0.1', port: 7 })).toBe('dropped');
    expect(client.send(Uint8Array.of(1), { address: 'fd42::1', port: 7 })).toBe('dropped');
    pair.flush();
    expect(seen).toEqual([]);
    expect(stack.ipv4.stats().sendDrops['local-no-socket']).toBe(1);
    expect(stack.ipv6.stats().sendDrops['local-no-socket']).toBe(1);
  });

  it('counts a send to a local socket whose queue is full', () => {
    const { stack } = setup();
    stack.udp.bind({ port: 7, maxQueued: 1 });
    const client = stack.udp.bind({ port: 9000 });
    expect(client.send(Uint8Array.of(1), { address: '10.0.0.1', port: 7 })).toBe('sent');
    expect(client.send(Uint8Array.of(2), { address: '10.0.0.1', port: 7 })).toBe('dropped');
    expect(stack.ipv4.stats().sendDrops['local-queue-full']).toBe(1);
  });
});
