/**
 * Frames that arrive out of order, at the binding level: the answer before
 * the question. Each case asserts what the binding does with it (an entry
 * made or not, frames sent or not), so it fails when that behaviour breaks,
 * unlike an adapter-level test that only shows frames are forwarded.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes/index.js';
import {
  arpPacket,
  createStackHarness,
  ethernetFrame,
  icmpv6Message,
  ipv6Packet,
} from '../testing/index.js';
import { parseIpv6Address, parseMac } from '../wire/index.js';

const STACK_MAC = '02:00:00:00:00:0a';
const PEER_MAC = '02:00:00:00:00:0b';
const STACK_LL = 'fe80::ff:fe00:a';
const PEER_LL = 'fe80::ff:fe00:b';

const setup = () => createStackHarness({ ipv4: [{ address: '10.0.0.1', prefixLength: 24 }] });

const arpReply = (senderMac = PEER_MAC) =>
  ethernetFrame(
    STACK_MAC,
    senderMac,
    0x0806,
    arpPacket({
      operation: 2,
      senderMac,
      senderIp: '10.0.0.2',
      targetMac: STACK_MAC,
      targetIp: '10.0.0.1',
    }),
  );

const advertisement = (solicited: boolean) =>
  ethernetFrame(
    STACK_MAC,
    PEER_MAC,
    0x86dd,
    ipv6Packet({
      source: PEER_LL,
      destination: STACK_LL,
      nextHeader: 58,
      hopLimit: 255,
      payload: icmpv6Message(PEER_LL, STACK_LL, {
        kind: 'neighbor-advertisement',
        code: 0,
        router: false,
        solicited,
        override: true,
        reserved: 0,
        targetAddress: parseIpv6Address(PEER_LL)!,
        options: [{ kind: 'target-link-layer-address', address: parseMac(PEER_MAC)! }],
      }),
    }),
  );

const kinds = (frames: Uint8Array[]) =>
  frames.map((f) => ({ to: toHex(f.subarray(0, 6)), etherType: (f[12]! << 8) | f[13]! }));

describe('ARP: the reply before the request', () => {
  it('learns from a reply that no request asked for (RFC 826 merge), so a send needs no request', () => {
    const { send, seen, stack } = setup();
    send(arpReply());
    expect(seen).toEqual([]);
    expect(stack.arp.entries()).toMatchObject([{ key: 0x0a000002, state: 'reachable' }]);
    const socket = stack.udp.bind({ port: 5000 });
    expect(socket.send(Uint8Array.of(1), { address: '10.0.0.2', port: 9 })).toBe('sent');
  });

  it('sends the datagram to the learned MAC at once, with no ARP request on the wire', () => {
    const { send, seen, stack, pair } = setup();
    send(arpReply());
    stack.udp.bind({ port: 5000 }).send(Uint8Array.of(1), { address: '10.0.0.2', port: 9 });
    pair.flush();
    expect(kinds(seen)).toEqual([{ to: '02000000000b', etherType: 0x0800 }]);
    expect(stack.arp.stats()).toMatchObject({ requestsSent: 0, repliesReceived: 1 });
  });

  it('a late duplicate reply after resolution changes nothing and sends nothing', () => {
    const { send, seen, stack, pair } = setup();
    stack.udp.bind({ port: 5000 }).send(Uint8Array.of(1), { address: '10.0.0.2', port: 9 });
    pair.flush();
    expect(kinds(seen.splice(0))).toEqual([{ to: 'ffffffffffff', etherType: 0x0806 }]);
    send(arpReply());
    expect(kinds(seen.splice(0))).toEqual([{ to: '02000000000b', etherType: 0x0800 }]);
    send(arpReply());
    expect(seen).toEqual([]);
    expect(stack.arp.entries()).toMatchObject([{ state: 'reachable', queued: 0 }]);
    expect(stack.arp.stats().cache).toMatchObject({ flushed: 1, created: 1 });
  });
});

describe('ND: the advertisement before the solicitation', () => {
  it('drops an NA for an address it never solicited: no entry (RFC 4861 §7.2.5)', () => {
    const { send, seen, stack } = setup();
    send(advertisement(true));
    send(advertisement(false));
    expect(seen).toEqual([]);
    expect(stack.ipv6.entries()).toEqual([]);
    expect(stack.ipv6.stats().drops['unsolicited-advertisement']).toBe(2);
  });

  it('so a later send still solicits, and the NA that answers it delivers the queued datagram', () => {
    const { send, seen, stack, pair } = setup();
    send(advertisement(true));
    const socket = stack.udp.bind({ port: 5000 });
    expect(socket.send(Uint8Array.of(1), { address: PEER_LL, port: 9 })).toBe('queued');
    pair.flush();
    expect(kinds(seen.splice(0))).toEqual([{ to: '3333ff00000b', etherType: 0x86dd }]);
    expect(stack.ipv6.entries()).toMatchObject([{ state: 'incomplete', queued: 1 }]);
    send(advertisement(true));
    expect(kinds(seen.splice(0))).toEqual([{ to: '02000000000b', etherType: 0x86dd }]);
    expect(stack.ipv6.entries()).toMatchObject([{ state: 'reachable', queued: 0 }]);
    // A duplicate NA changes nothing and sends nothing.
    send(advertisement(true));
    expect(seen).toEqual([]);
    expect(stack.ipv6.stats().cache).toMatchObject({ flushed: 1, created: 1 });
  });

  it('an unsolicited NA (S clear) for a REACHABLE entry only marks it STALE when the MAC changes', () => {
    const { send, stack, pair } = setup();
    stack.udp.bind({ port: 5000 }).send(Uint8Array.of(1), { address: PEER_LL, port: 9 });
    pair.flush();
    send(advertisement(true));
    expect(stack.ipv6.entries()[0]?.state).toBe('reachable');
    send(advertisement(false)); // same MAC, S clear: no confirmation, no change
    expect(stack.ipv6.entries()[0]?.state).toBe('reachable');
  });
});
