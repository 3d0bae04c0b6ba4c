import { describe, expect, it } from 'vitest';
import {
  arpPacket,
  createLinkPair,
  createStackHarness,
  ethernetFrame,
  icmpv4Echo,
  icmpv6Message,
  ipv4Datagram,
  ipv6Packet,
  udp4,
  udp6,
  VirtualClock,
  vlanTagged,
} from '../testing/index.js';
import { parseIpv6Address, parseMac } from '../wire/index.js';
import { createStack, type StackOptions } from './stack.js';

const STACK_MAC = '02:00:00:00:00:0a';
const PEER_MAC = '02:00:00:00:00:0b';
const STACK_LL = 'fe80::ff:fe00:a';
const PEER_LL = 'fe80::ff:fe00:b';

/** The VLAN id a frame carries (-1 untagged) and its EtherType after the tag. */
function tagOf(frame: Uint8Array): { vlan: number; etherType: number } {
  const type = ((frame[12] as number) << 8) | (frame[13] as number);
  if (type !== 0x8100) return { vlan: -1, etherType: type };
  return {
    vlan: (((frame[14] as number) & 0x0f) << 8) | (frame[15] as number),
    etherType: ((frame[16] as number) << 8) | (frame[17] as number),
  };
}

const setup = (options: Partial<StackOptions> = {}) =>
  createStackHarness({ ipv4: [{ address: '10.0.0.1', prefixLength: 24 }], ...options });

const arpRequest = () =>
  ethernetFrame(
    'ff:ff:ff:ff:ff:ff',
    PEER_MAC,
    0x0806,
    arpPacket({ operation: 1, senderMac: PEER_MAC, senderIp: '10.0.0.2', targetIp: '10.0.0.1' }),
  );

const ping4 = () =>
  ethernetFrame(
    STACK_MAC,
    PEER_MAC,
    0x0800,
    ipv4Datagram({
      source: '10.0.0.2',
      destination: '10.0.0.1',
      protocol: 1,
      payload: icmpv4Echo(8, 1, 1, Uint8Array.of(1, 2, 3)),
    }),
  );

const udpToClosedPort4 = () =>
  ethernetFrame(
    STACK_MAC,
    PEER_MAC,
    0x0800,
    ipv4Datagram({
      source: '10.0.0.2',
      destination: '10.0.0.1',
      protocol: 17,
      payload: udp4('10.0.0.2', 4000, '10.0.0.1', 9, Uint8Array.of(1)),
    }),
  );

const ping6 = () =>
  ethernetFrame(
    STACK_MAC,
    PEER_MAC,
    0x86dd,
    ipv6Packet({
      source: PEER_LL,
      destination: STACK_LL,
      nextHeader: 58,
      payload: icmpv6Message(PEER_LL, STACK_LL, {
        kind: 'echo-request',
        code: 0,
        identifier: 1,
        sequenceNumber: 1,
        data: Uint8Array.of(9),
      }),
    }),
  );

const solicitation = () =>
  ethernetFrame(
    '33:33:ff:00:00:0a',
    PEER_MAC,
    0x86dd,
    ipv6Packet({
      source: PEER_LL,
      destination: 'ff02::1:ff00:a',
      nextHeader: 58,
      hopLimit: 255,
      payload: icmpv6Message(PEER_LL, 'ff02::1:ff00:a', {
        kind: 'neighbor-solicitation',
        code: 0,
        reserved: 0,
        targetAddress: parseIpv6Address(STACK_LL)!,
        options: [{ kind: 'source-link-layer-address', address: parseMac(PEER_MAC)! }],
      }),
    }),
  );

const udpToClosedPort6 = () =>
  ethernetFrame(
    STACK_MAC,
    PEER_MAC,
    0x86dd,
    ipv6Packet({
      source: PEER_LL,
      destination: STACK_LL,
      nextHeader: 17,
      payload: udp6(PEER_LL, 4000, STACK_LL, 9, Uint8Array.of(1)),
    }),
  );

/** Every request the stack answers, with what the answer is. */
const ANSWERED = [
  { name: 'an ARP request', frame: arpRequest, etherType: 0x0806 },
  { name: 'an ICMP echo request', frame: ping4, etherType: 0x0800 },
  { name: 'UDP to a closed port (port unreachable)', frame: udpToClosedPort4, etherType: 0x0800 },
  { name: 'an ICMPv6 echo request', frame: ping6, etherType: 0x86dd },
  { name: 'a neighbour solicitation', frame: solicitation, etherType: 0x86dd },
  { name: 'UDP over IPv6 to a closed port', frame: udpToClosedPort6, etherType: 0x86dd },
];

describe('VLANs: a stack sees only its segment and tags everything it sends', () => {
  for (const { name, frame, etherType } of ANSWERED) {
    it(`answers ${name} on its VLAN, tagged, and ignores it untagged or on another VLAN`, () => {
      const { send, seen, stack } = setup({ vlan: 10 });
      send(frame());
      send(vlanTagged(frame(), 20));
      expect(seen).toEqual([]);
      send(vlanTagged(frame(), 10));
      expect(seen.map(tagOf)).toEqual([{ vlan: 10, etherType }]);
      const drops = stack.stats();
      const binding =
        etherType === 0x0806 ? drops.arp : etherType === 0x0800 ? drops.ipv4 : drops.ipv6;
      expect(binding.drops['other-vlan']).toBe(2);
    });

    it(`an untagged stack answers ${name} only untagged (or priority-tagged), never tagged`, () => {
      const { send, seen } = setup();
      send(vlanTagged(frame(), 10));
      expect(seen).toEqual([]);
      send(vlanTagged(frame(), 0)); // a priority tag: untagged traffic
      send(frame());
      expect(seen.map(tagOf)).toEqual([
        { vlan: -1, etherType },
        { vlan: -1, etherType },
      ]);
    });
  }

  it('tags the gratuitous ARP, the DAD probe, neighbour solicitations and UDP sends', () => {
    const { startup, stack, pair, seen } = setup({
      vlan: 42,
      ipv6: [{ address: 'fd00::1', prefixLength: 64 }],
    });
    expect(startup.length).toBeGreaterThanOrEqual(3); // gratuitous ARP + two DAD probes
    expect(startup.map((f) => tagOf(f).vlan)).toEqual(startup.map(() => 42));
    const socket = stack.udp.bind({ port: 5000 });
    socket.send(Uint8Array.of(1), { address: '10.0.0.255', port: 9 }); // broadcast: sent at once
    socket.send(Uint8Array.of(2), { address: '10.0.0.7', port: 9 }); // ARP request first
    socket.send(Uint8Array.of(3), { address: 'ff02::1', port: 9 }); // multicast: sent at once
    socket.send(Uint8Array.of(4), { address: 'fd00::7', port: 9 }); // NS first
    pair.flush();
    expect(seen.map(tagOf)).toEqual([
      { vlan: 42, etherType: 0x0800 },
      { vlan: 42, etherType: 0x0806 },
      { vlan: 42, etherType: 0x86dd },
      { vlan: 42, etherType: 0x86dd },
    ]);
    expect(stack.arp.name).toBe('arp.v42');
  });

  it('treats a tag the adapter removed (VLAN offload) as the frame’s VLAN', () => {
    const { pair, seen } = setup({ vlan: 10 });
    pair.a.indicate(ping4(), { oob: { vlan: { id: 10, priority: 0 } } });
    pair.a.indicate(ping4(), { oob: { vlan: { id: 11, priority: 0 } } });
    pair.a.indicate(ping4());
    pair.flush();
    expect(seen.map(tagOf)).toEqual([{ vlan: 10, etherType: 0x0800 }]);
  });

  it('rejects frames with stacked tags (802.1ad) on every segment', () => {
    const { send, seen, stack } = setup({ vlan: 10 });
    send(vlanTagged(vlanTagged(ping4(), 10), 100, 0x88a8));
    expect(seen).toEqual([]);
    expect(stack.stats().ipv4.drops['other-vlan']).toBe(1);
  });

  it('treats an offloaded tag plus an in-band tag as double-tagged: no binding sees it', () => {
    // Regression (review 6): the in-band tag used to win, so an S-VLAN 100
    // frame carrying C-VLAN 10 reached the VLAN 10 stack.
    for (const vlan of [10, undefined]) {
      const { pair, seen, stack } = setup(vlan === undefined ? {} : { vlan });
      pair.a.indicate(vlanTagged(ping4(), 10), { oob: { vlan: { id: 100, priority: 0 } } });
      pair.a.indicate(vlanTagged(ping4(), 0), { oob: { vlan: { id: 10, priority: 0 } } });
      pair.flush();
      expect(seen).toEqual([]);
      expect(stack.stats().ipv4.drops['other-vlan']).toBe(2);
    }
  });

  it('does not deliver a lone S-tag (0x88a8) to a C-VLAN binding, nor to the untagged one', () => {
    // Regression (review 6): 0x88a8 was read as if it were a C-tag.
    for (const vlan of [10, undefined]) {
      const { send, seen, stack } = setup(vlan === undefined ? {} : { vlan });
      send(vlanTagged(ping4(), 10, 0x88a8));
      send(vlanTagged(ping4(), 0, 0x88a8));
      expect(seen).toEqual([]);
      expect(stack.stats().ipv4.drops['other-vlan']).toBe(2);
    }
  });

  it('keeps two stacks on one trunk apart: each answers only its own VLAN', () => {
    const clock = new VirtualClock();
    const pair = createLinkPair();
    const untagged = createStack({
      adapter: pair.a,
      clock,
      ipv4: [{ address: '10.0.0.1', prefixLength: 24 }],
    });
    const vlan10 = createStack({
      adapter: pair.a,
      clock,
      vlan: 10,
      ipv4: [{ address: '10.0.0.1', prefixLength: 24 }],
    });
    const seen: Uint8Array[] = [];
    pair.b.tap((frame) => seen.push(frame.slice()));
    pair.flush();
    clock.advance(1_000);
    pair.flush();
    seen.length = 0;
    pair.b.send(vlanTagged(ping4(), 10));
    pair.b.send(ping4());
    pair.flush();
    expect(seen.map(tagOf)).toEqual([
      { vlan: 10, etherType: 0x0800 },
      { vlan: -1, etherType: 0x0800 },
    ]);
    expect(untagged.stats().ipv4.echoRequests).toBe(1);
    expect(vlan10.stats().ipv4.echoRequests).toBe(1);
  });

  it('refuses a VLAN id outside 1..4094', () => {
    const pair = createLinkPair();
    for (const vlan of [0, 4095, 1.5, -1]) {
      expect(() => createStack({ adapter: pair.a, clock: new VirtualClock(), vlan })).toThrow(
        RangeError,
      );
    }
  });
});

describe('VLAN: the IPv4 replies built off the common path carry the tag too (link-review3 F3)', () => {
  const setup = () => {
    const h = createStackHarness({
      vlan: 10,
      ipv4: [{ address: '10.0.0.1', prefixLength: 24 }],
      ipv6LinkLocal: false,
    });
    h.seen.length = 0;
    return h;
  };
  /** A 3000-byte echo request in 1472-byte fragments, tagged for VLAN 10. */
  const fragments = (): Uint8Array[] => {
    const icmp = icmpv4Echo(8, 9, 1, new Uint8Array(3000).fill(7));
    const out: Uint8Array[] = [];
    for (let at = 0; at < icmp.length; at += 1472) {
      const datagram = ipv4Datagram({
        source: '10.0.0.2',
        destination: '10.0.0.1',
        protocol: 1,
        identification: 0x4242,
        moreFragments: at + 1472 < icmp.length,
        fragmentOffset: at / 8,
        payload: icmp.subarray(at, at + 1472),
      });
      out.push(vlanTagged(ethernetFrame(STACK_MAC, PEER_MAC, 0x0800, datagram), 10));
    }
    return out;
  };

  it('tags every fragment of the reply to a fragmented ping', () => {
    const { seen, send } = setup();
    for (const f of fragments()) send(f);
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(seen.map((f) => tagOf(f))).toEqual(seen.map(() => ({ vlan: 10, etherType: 0x0800 })));
  });

  it('tags the Time Exceeded sent after a reassembly timeout', () => {
    const { seen, send, clock, pair } = setup();
    send(fragments()[0]!);
    expect(seen).toHaveLength(0);
    clock.advance(61_000);
    pair.flush();
    expect(seen).toHaveLength(1);
    expect(tagOf(seen[0]!)).toEqual({ vlan: 10, etherType: 0x0800 });
    expect(seen[0]![18 + 20]).toBe(11); // ICMP Time Exceeded
    expect(seen[0]![18 + 21]).toBe(1); // fragment reassembly time exceeded
  });
});
