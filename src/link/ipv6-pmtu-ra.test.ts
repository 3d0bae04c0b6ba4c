/** Packet Too Big → path MTU per destination (RFC 8201), and Router Advertisement learning (RFC 4861 §6.3.4). */
import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes/index.js';
import { createStackHarness, ethernetFrame, icmpv6Message, ipv6Packet } from '../testing/index.js';
import { Icmpv6Packet, Ipv6Packet, parseIpv6Address, parseMac } from '../wire/index.js';
import type { StackOptions } from './stack.js';

const STACK_MAC = '02:00:00:00:00:0a';
const PEER_MAC = '02:00:00:00:00:0b';
const STACK_GLOBAL = 'fd00::a';
const PEER_GLOBAL = 'fd00::b';
const ip6 = (text: string) => parseIpv6Address(text)!;

const setup = (options: Partial<StackOptions> = {}) =>
  createStackHarness({ ipv4: [], ipv6: [{ address: STACK_GLOBAL, prefixLength: 64 }], ...options });

/** An NS from the peer for our address, so the stack learns the peer's MAC. */
const solicitation = () =>
  ethernetFrame(
    '33:33:ff:00:00:0a',
    PEER_MAC,
    0x86dd,
    ipv6Packet({
      source: PEER_GLOBAL,
      destination: 'ff02::1:ff00:a',
      nextHeader: 58,
      hopLimit: 255,
      payload: icmpv6Message(PEER_GLOBAL, 'ff02::1:ff00:a', {
        kind: 'neighbor-solicitation',
        code: 0,
        reserved: 0,
        targetAddress: ip6(STACK_GLOBAL),
        options: [{ kind: 'source-link-layer-address', address: parseMac(PEER_MAC)! }],
      }),
    }),
  );

/** An ICMPv6 message of raw `bytes` (checksum filled) from `source` to `destination`. */
function icmpFrame(bytes: Uint8Array, source: string, destination: string, hopLimit = 64) {
  const packet = ipv6Packet({ source, destination, nextHeader: 58, hopLimit, payload: bytes });
  const ip = Ipv6Packet.unchecked(packet);
  Icmpv6Packet.unchecked(packet.subarray(40)).fillChecksum(ip.sourceAddress, ip.destinationAddress);
  const mac = destination.startsWith('ff02') ? '33:33:00:00:00:01' : STACK_MAC;
  return ethernetFrame(mac, PEER_MAC, 0x86dd, packet);
}

/** A Packet Too Big with `mtu` quoting `quoted` (an IPv6 packet). */
function packetTooBig(mtu: number, quoted: Uint8Array) {
  const bytes = new Uint8Array(8 + Math.min(quoted.length, 1232));
  bytes[0] = 2;
  new DataView(bytes.buffer).setUint32(4, mtu);
  bytes.set(quoted.subarray(0, bytes.length - 8), 8);
  return icmpFrame(bytes, PEER_GLOBAL, STACK_GLOBAL);
}

/** IPv6 packet sizes of the frames the stack sent to the peer's MAC. */
const sizes = (frames: Uint8Array[]) =>
  frames.filter((f) => toHex(f.subarray(0, 6)) === '02000000000b').map((f) => f.length - 14);

describe('Packet Too Big: the path MTU per destination (RFC 8201)', () => {
  // Regression (review 8): Packet Too Big was counted and ignored, so sends kept the link MTU.
  it('fragments later sends to that destination for the reported MTU, and only to it', () => {
    const { send, seen, stack, pair } = setup();
    send(solicitation());
    seen.length = 0;
    const socket = stack.udp.bind({ port: 5000 });
    socket.send(new Uint8Array(1400), { address: PEER_GLOBAL, port: 9 });
    pair.flush();
    const [first] = seen.splice(0).filter((f) => toHex(f.subarray(0, 6)) === '02000000000b');
    expect(first!.length - 14).toBe(40 + 8 + 1400);
    send(packetTooBig(1300, first!.subarray(14)));
    expect(stack.ipv6.pathMtuFor(ip6(PEER_GLOBAL))).toBe(1300);
    expect(stack.ipv6.pathMtuFor(ip6('fd00::c'))).toBe(1500);
    seen.length = 0;
    socket.send(new Uint8Array(1400), { address: PEER_GLOBAL, port: 9 });
    pair.flush();
    const pieces = sizes(seen);
    expect(pieces.length).toBe(2);
    expect(Math.max(...pieces)).toBeLessThanOrEqual(1300);
    expect(stack.stats().ipv6).toMatchObject({
      packetTooBig: 1,
      pathMtu: { paths: 1, recorded: 1 },
    });
  });

  it('raises an MTU below 1280 to 1280, and drops a Packet Too Big about a packet not ours', () => {
    const { send, stack } = setup();
    const ours = ipv6Packet({
      source: STACK_GLOBAL,
      destination: PEER_GLOBAL,
      nextHeader: 59,
      payload: new Uint8Array(0),
    });
    send(packetTooBig(600, ours));
    expect(stack.ipv6.pathMtuFor(ip6(PEER_GLOBAL))).toBe(1280);
    const theirs = ipv6Packet({
      source: 'fd00::99',
      destination: 'fd00::c',
      nextHeader: 59,
      payload: new Uint8Array(0),
    });
    send(packetTooBig(1280, theirs));
    expect(stack.ipv6.pathMtuFor(ip6('fd00::c'))).toBe(1500);
    expect(stack.stats().ipv6.drops['bad-packet-too-big']).toBe(1);
  });

  it('bounds the table: the oldest destination is evicted', () => {
    const { send, stack } = setup({ limits: { ipv6: { pathMtu: { maxPaths: 2 } } } });
    for (const to of ['fd00::1:1', 'fd00::1:2', 'fd00::1:3']) {
      send(
        packetTooBig(
          1400,
          ipv6Packet({
            source: STACK_GLOBAL,
            destination: to,
            nextHeader: 59,
            payload: new Uint8Array(0),
          }),
        ),
      );
    }
    expect(stack.stats().ipv6.pathMtu).toMatchObject({ paths: 2, evicted: 1 });
    expect(stack.ipv6.pathMtuFor(ip6('fd00::1:1'))).toBe(1500);
  });
});

/** A Router Advertisement from `source`: router lifetime, then a Prefix Information option per prefix. */
function advertisement(
  lifetime: number,
  prefixes: { prefix: string; length: number; valid: number; onLink?: boolean }[] = [],
  { source = 'fe80::1', hopLimit = 255 } = {},
) {
  const bytes = new Uint8Array(16 + 32 * prefixes.length);
  bytes[0] = 134;
  const view = new DataView(bytes.buffer);
  view.setUint16(6, lifetime);
  prefixes.forEach((p, i) => {
    const at = 16 + 32 * i;
    bytes[at] = 3;
    bytes[at + 1] = 4;
    bytes[at + 2] = p.length;
    bytes[at + 3] = (p.onLink ?? true) ? 0x80 : 0;
    view.setUint32(at + 4, p.valid);
    bytes.set(ip6(p.prefix), at + 16);
  });
  return icmpFrame(bytes, source, 'ff02::1', hopLimit);
}

/** Targets of the Neighbor Solicitations among `frames`. */
const solicited = (frames: Uint8Array[]) =>
  frames
    .filter((f) => f[12] === 0x86 && f[54] === 135)
    .map((f) => toHex(f.subarray(14 + 48, 14 + 64)));

describe('Router Advertisements (RFC 4861 §6.3.4), when enabled', () => {
  it('are ignored by default: an off-link send still has no route', () => {
    const { send, stack } = setup();
    send(advertisement(1800, [{ prefix: 'fd55::', length: 64, valid: 3600 }]));
    const socket = stack.udp.bind({ port: 5000 });
    socket.send(Uint8Array.of(1), { address: '2001:db8::1', port: 9 });
    expect(stack.stats().ipv6.sendDrops['no-route']).toBe(1);
    expect(stack.stats().ipv6.routerDiscovery.routers).toEqual([]);
  });

  it('teach a default router and on-link prefixes, for their lifetimes', () => {
    const { send, seen, stack, clock, pair } = setup({
      limits: { ipv6: { acceptRouterAdvertisements: true } },
    });
    send(advertisement(1800, [{ prefix: 'fd55::', length: 64, valid: 3600 }]));
    const socket = stack.udp.bind({ port: 5000 });
    seen.length = 0;
    socket.send(Uint8Array.of(1), { address: '2001:db8::1', port: 9 }); // via the router
    socket.send(Uint8Array.of(2), { address: 'fd55::7', port: 9 }); // on-link
    pair.flush();
    expect(solicited(seen)).toEqual([toHex(ip6('fe80::1')), toHex(ip6('fd55::7'))]);
    clock.advance(1800_000);
    expect(stack.stats().ipv6.routerDiscovery.routers).toEqual([]);
    expect(stack.stats().ipv6.routerDiscovery.prefixes).toHaveLength(1);
    socket.send(Uint8Array.of(3), { address: '2001:db8::1', port: 9 });
    expect(stack.stats().ipv6.sendDrops['no-route']).toBe(1);
  });

  it('a lifetime of 0 removes the router; invalid ones are dropped; the tables are bounded', () => {
    const { send, stack } = setup({
      limits: { ipv6: { acceptRouterAdvertisements: true, routerDiscovery: { maxRouters: 2 } } },
    });
    for (const source of ['fe80::1', 'fe80::2', 'fe80::3'])
      send(advertisement(600, [], { source }));
    expect(stack.stats().ipv6.routerDiscovery.routers.map((r) => r.address)).toEqual([
      'fe80::1',
      'fe80::2',
    ]);
    expect(stack.stats().ipv6.routerDiscovery.refused).toBe(1);
    send(advertisement(0, [], { source: 'fe80::1' }));
    expect(stack.stats().ipv6.routerDiscovery.routers.map((r) => r.address)).toEqual(['fe80::2']);
    send(advertisement(600, [], { source: 'fe80::9', hopLimit: 64 }));
    send(advertisement(600, [], { source: 'fd00::9' }));
    expect(stack.stats().ipv6.drops['bad-router-advertisement']).toBe(2);
  });
});
