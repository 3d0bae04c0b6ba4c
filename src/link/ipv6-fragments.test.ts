import { describe, expect, it } from 'vitest';
import type { NetrxError } from '../runtime/index.js';
import {
  createStackHarness,
  ethernetFrame,
  icmpv6Message,
  ipv6Packet,
  udp6,
} from '../testing/index.js';
import {
  Icmpv6Packet,
  Ipv6Packet,
  parseIpv6Address,
  parseMac,
  UdpDatagram,
} from '../wire/index.js';

const STACK_MAC = '02:00:00:00:00:0a';
const PEER_MAC = '02:00:00:00:00:0b';
const STACK_LL = 'fe80::ff:fe00:a';
const PEER_LL = 'fe80::ff:fe00:b';

const setup = () => createStackHarness({ ipv4: [] });

const pattern = (length: number) => Uint8Array.from({ length }, (_, i) => (i * 11 + 1) & 0xff);

/**
 * Cuts `upper` (of protocol `nextHeader`) into fragment frames of `chunk`
 * bytes, after `before` (extension headers in the unfragmentable part, whose
 * last Next Header must already be 44).
 */
function fragments(
  nextHeader: number,
  upper: Uint8Array,
  chunk: number,
  options: { before?: Uint8Array; firstHeader?: number; id?: number } = {},
): Uint8Array[] {
  const before = options.before ?? new Uint8Array(0);
  const frames: Uint8Array[] = [];
  for (let offset = 0; offset < upper.length; offset += chunk) {
    const part = upper.subarray(offset, Math.min(offset + chunk, upper.length));
    const more = offset + part.length < upper.length;
    const payload = new Uint8Array(before.length + 8 + part.length);
    payload.set(before, 0);
    const at = before.length;
    payload[at] = nextHeader;
    payload[at + 2] = offset >> 8;
    payload[at + 3] = (offset & 0xf8) | (more ? 1 : 0);
    payload[at + 7] = options.id ?? 9;
    payload.set(part, at + 8);
    frames.push(
      ethernetFrame(
        STACK_MAC,
        PEER_MAC,
        0x86dd,
        ipv6Packet({
          source: PEER_LL,
          destination: STACK_LL,
          nextHeader: options.firstHeader ?? 44,
          payload,
        }),
      ),
    );
  }
  return frames;
}

/** Rejoins fragment frames the stack sent: the upper-layer bytes, checking each fragment. */
function rejoin(frames: Uint8Array[]): { nextHeader: number; upper: Uint8Array } {
  const parts = frames.map((frame) => {
    const ip = Ipv6Packet.unchecked(frame.subarray(14));
    expect(ip.bytes.length).toBeLessThanOrEqual(1500);
    expect(ip.nextHeader).toBe(44);
    const fragment = ip.bytes.subarray(40, 48);
    const field = (fragment[2]! << 8) | fragment[3]!;
    return {
      nextHeader: fragment[0]!,
      offset: field & 0xfff8,
      more: (field & 1) === 1,
      id: new DataView(fragment.buffer, fragment.byteOffset).getUint32(4),
      data: ip.bytes.subarray(48, 40 + ip.payloadLength),
    };
  });
  expect(new Set(parts.map((p) => p.id)).size).toBe(1);
  expect(parts.map((p) => p.more)).toEqual(parts.map((_, i) => i < parts.length - 1));
  const upper = new Uint8Array(parts.reduce((n, p) => n + p.data.length, 0));
  for (const p of parts) upper.set(p.data, p.offset);
  return { nextHeader: parts[0]!.nextHeader, upper };
}

const echo = (size: number) =>
  icmpv6Message(PEER_LL, STACK_LL, {
    kind: 'echo-request',
    code: 0,
    identifier: 5,
    sequenceNumber: 6,
    data: pattern(size),
  });

describe('IPv6 fragments: reassembly and fragmentation', () => {
  it('answers a 4000-byte ping6 sent in fragments out of order, with a fragmented reply', () => {
    const { send, seen, stack } = setup();
    const frames = fragments(58, echo(4000), 1448);
    expect(frames).toHaveLength(3);
    for (const frame of [frames[1]!, frames[2]!, frames[0]!]) send(frame);
    expect(seen).toHaveLength(3);
    const { nextHeader, upper } = rejoin(seen);
    expect(nextHeader).toBe(58);
    const reply = Icmpv6Packet.unchecked(upper);
    expect(reply.type).toBe(129);
    expect(reply.verifyChecksum(parseIpv6Address(STACK_LL)!, parseIpv6Address(PEER_LL)!)).toBe(
      true,
    );
    expect(Array.from(upper.subarray(8))).toEqual(Array.from(pattern(4000)));
    expect(stack.stats().ipv6).toMatchObject({
      echoReplies: 1,
      fragmented: 1,
      fragmentsSent: 3,
      reassembly: { reassembled: 1, bytes: 0 },
    });
  });

  it('keeps the unfragmentable part: a Hop-by-Hop header before the Fragment header', () => {
    const { send, seen } = setup();
    const hopByHop = Uint8Array.of(44, 0, 1, 4, 0, 0, 0, 0); // PadN, then the Fragment header
    for (const frame of fragments(58, echo(2000), 1400, { before: hopByHop, firstHeader: 0 })) {
      send(frame);
    }
    expect(seen).toHaveLength(2);
    expect(rejoin(seen).upper[0]).toBe(129);
  });

  it('a Hop-by-Hop header + 65,535 fragmentable bytes would pass a 65,535-byte payload: dropped, Parameter Problem (review 9 Q1)', () => {
    const { send, seen, stack } = setup();
    const socket = stack.udp.bind({ port: 7 });
    const hopByHop = Uint8Array.of(44, 0, 1, 4, 0, 0, 0, 0);
    const upper = udp6(PEER_LL, 9, STACK_LL, 7, new Uint8Array(65_535 - 8));
    for (const frame of fragments(17, upper, 1400, { before: hopByHop, firstHeader: 0 })) {
      send(frame);
    }
    expect(socket.receive({ timeoutMs: 0 }).result?.status).toBe('timeout');
    expect(stack.stats().ipv6.reassembly).toMatchObject({ reassembled: 0, tooLarge: 1 });
    expect(stack.stats().ipv6.drops['fragment-too-large']).toBe(1);
    // RFC 8200 §4.5: Parameter Problem code 0, pointing at the Fragment Offset field (40 + 8 + 2).
    expect(seen).toHaveLength(1);
    const icmp = seen[0]!.subarray(14 + 40);
    expect([icmp[0], icmp[1], (icmp[6]! << 8) | icmp[7]!]).toEqual([4, 0, 50]);
  });

  it('a Hop-by-Hop header + 65,527 fragmentable bytes (a 65,535-byte payload) is delivered', () => {
    const { send, stack } = setup();
    const socket = stack.udp.bind({ port: 7 });
    const hopByHop = Uint8Array.of(44, 0, 1, 4, 0, 0, 0, 0);
    const upper = udp6(PEER_LL, 9, STACK_LL, 7, pattern(65_527 - 8));
    for (const frame of fragments(17, upper, 1400, { before: hopByHop, firstHeader: 0 })) {
      send(frame);
    }
    const got = socket.receive({ timeoutMs: 0 }).result;
    expect(got?.status === 'data' && got.data.length).toBe(65_519);
    expect(stack.stats().ipv6.reassembly).toMatchObject({ reassembled: 1, tooLarge: 0 });
  });

  it('ignores a Neighbor Solicitation in fragments or as an atomic fragment (RFC 6980, review 9 Q2)', () => {
    const { send, seen, stack } = setup();
    const solicitation = icmpv6Message(PEER_LL, STACK_LL, {
      kind: 'neighbor-solicitation',
      code: 0,
      reserved: 0,
      targetAddress: parseIpv6Address(STACK_LL)!,
      options: [{ kind: 'source-link-layer-address', address: parseMac(PEER_MAC)! }],
    });
    const hopLimit255 = (frames: Uint8Array[]) =>
      frames.map((frame) => {
        const copy = frame.slice();
        copy[14 + 7] = 255; // ND requires hop limit 255
        return copy;
      });
    const inFragments = hopLimit255(fragments(58, solicitation, 16, { id: 1 }));
    expect(inFragments.length).toBeGreaterThan(1);
    for (const frame of inFragments) send(frame);
    const atomic = hopLimit255(fragments(58, solicitation, 4096, { id: 2 }));
    expect(atomic).toHaveLength(1);
    send(atomic[0]!);
    expect(seen).toEqual([]); // no Neighbor Advertisement
    expect(stack.stats().ipv6.drops['nd-fragmented']).toBe(2);
    expect(stack.stats().ipv6.reassembly.reassembled).toBe(1);
  });

  it('delivers a 4 KiB UDP datagram sent in fragments, and sends one back in fragments', () => {
    const { send, seen, stack, pair } = setup();
    const socket = stack.udp.bind({ port: 1812 });
    const data = pattern(4096);
    for (const frame of fragments(17, udp6(PEER_LL, 4000, STACK_LL, 1812, data), 1448)) {
      send(frame);
    }
    const got = socket.receive({ timeoutMs: 0 }).result;
    if (got?.status !== 'data') throw new Error('expected the datagram');
    expect(Array.from(got.data)).toEqual(Array.from(data));
    expect(socket.send(got.data, got.meta)).toBe('queued'); // NS first
    pair.flush();
    seen.length = 0;
    send(
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
            solicited: true,
            override: true,
            reserved: 0,
            targetAddress: parseIpv6Address(PEER_LL)!,
            options: [{ kind: 'target-link-layer-address', address: parseMac(PEER_MAC)! }],
          }),
        }),
      ),
    );
    expect(seen).toHaveLength(3);
    const { nextHeader, upper } = rejoin(seen);
    expect(nextHeader).toBe(17);
    const udp = UdpDatagram.unchecked(upper);
    expect(udp.verifyChecksumIpv6(parseIpv6Address(STACK_LL)!, parseIpv6Address(PEER_LL)!)).toBe(
      true,
    );
    expect(Array.from(udp.payload)).toEqual(Array.from(data));
  });

  it('drops a packet whose fragments overlap (RFC 5722), and times incomplete ones out after 60 s', () => {
    const { send, seen, stack, clock } = setup();
    const upper = echo(3000);
    const [a] = fragments(58, upper, 1448);
    send(a!);
    send(fragments(58, upper, 1000)[1]!); // 1000..2000: overlaps a
    expect(seen).toEqual([]);
    expect(stack.stats().ipv6.drops['fragment-overlap']).toBe(1);
    clock.advance(60_000);
    send(fragments(58, upper, 1448, { id: 10 })[0]!);
    expect(stack.stats().ipv6.reassembly.inProgress).toBe(1);
    clock.advance(60_000);
    expect(stack.stats().ipv6.reassembly).toMatchObject({ inProgress: 0, timeouts: 1, bytes: 0 });
  });

  it('refuses a send past a 65,535-byte payload with ERR_LINK_DATAGRAM_TOO_LARGE', () => {
    const { stack } = setup();
    const socket = stack.udp.bind({ port: 1 });
    let code: string | undefined;
    try {
      socket.send(new Uint8Array(65_528), { address: 'ff02::1', port: 9 });
    } catch (error) {
      code = (error as NetrxError).code;
    }
    expect(code).toBe('ERR_LINK_DATAGRAM_TOO_LARGE');
    expect(socket.send(new Uint8Array(65_527), { address: 'ff02::1', port: 9 })).toBe('sent');
  });
});
