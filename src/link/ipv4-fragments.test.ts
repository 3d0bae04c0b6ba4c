import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NetrxError } from '../runtime/index.js';
import {
  createStackHarness,
  ethernetFrame,
  icmpv4Echo,
  ipv4Datagram,
  udp4,
  VirtualClock,
} from '../testing/index.js';
import { Ipv4Packet, UdpDatagram, verifyInternetChecksum } from '../wire/index.js';
import { Reassembly } from './reassembly.js';

const STACK_MAC = '02:00:00:00:00:0a';
const PEER_MAC = '02:00:00:00:00:0b';

const setup = (limits = {}) =>
  createStackHarness({
    ipv4: [{ address: '10.0.0.1', prefixLength: 24 }],
    ipv6LinkLocal: false,
    limits: { ipv4: { reassembly: limits } },
  });

/** Cuts a whole datagram (20-byte header + payload) into fragment frames of `chunk` bytes of data. */
function fragments(datagram: Uint8Array, chunk: number): Uint8Array[] {
  const payload = datagram.subarray(20);
  const frames: Uint8Array[] = [];
  for (let offset = 0; offset < payload.length; offset += chunk) {
    const part = payload.subarray(offset, Math.min(offset + chunk, payload.length));
    const more = offset + part.length < payload.length;
    const ip = new Uint8Array(20 + part.length);
    ip.set(datagram.subarray(0, 20));
    ip.set(part, 20);
    const view = Ipv4Packet.unchecked(ip);
    view.setTotalLength(ip.length);
    view.setFragment(false, more, offset / 8);
    view.fillChecksum();
    frames.push(ethernetFrame(STACK_MAC, PEER_MAC, 0x0800, ip));
  }
  return frames;
}

/** Puts fragment frames the stack sent back together: the IP payload, checking each fragment's header. */
function rejoin(frames: Uint8Array[], mtu = 1500): Uint8Array {
  const parts: { offset: number; data: Uint8Array; more: boolean; id: number }[] = [];
  for (const frame of frames) {
    const ip = Ipv4Packet.unchecked(frame.subarray(14));
    expect(ip.totalLength).toBeLessThanOrEqual(mtu);
    expect(ip.verifyChecksum()).toBe(true);
    parts.push({
      offset: ip.fragmentOffset * 8,
      data: ip.payload,
      more: ip.moreFragments,
      id: ip.identification,
    });
  }
  expect(new Set(parts.map((p) => p.id)).size).toBe(1);
  expect(parts.map((p) => p.more)).toEqual(parts.map((_, i) => i < parts.length - 1));
  const total = parts.reduce((sum, p) => sum + p.data.length, 0);
  const out = new Uint8Array(total);
  for (const part of parts) {
    expect(part.more ? part.data.length % 8 : 0).toBe(0);
    out.set(part.data, part.offset);
  }
  return out;
}

const pattern = (length: number) => Uint8Array.from({ length }, (_, i) => (i * 13 + 5) & 0xff);

describe('IPv4 fragments: reassembly and fragmentation', () => {
  it('answers a 4000-byte ping sent in fragments out of order, with a fragmented reply', () => {
    const { send, seen, stack } = setup();
    const request = ipv4Datagram({
      source: '10.0.0.2',
      destination: '10.0.0.1',
      protocol: 1,
      payload: icmpv4Echo(8, 0x77, 3, pattern(4000)),
    });
    const frames = fragments(request, 1480);
    expect(frames).toHaveLength(3);
    for (const frame of [frames[2]!, frames[0]!, frames[1]!]) send(frame);
    expect(seen).toHaveLength(3);
    const reply = rejoin(seen);
    expect(reply.length).toBe(4008);
    expect(reply[0]).toBe(0); // echo reply
    expect(verifyInternetChecksum(reply)).toBe(true);
    expect(Array.from(reply.subarray(8))).toEqual(Array.from(pattern(4000)));
    expect(stack.stats().ipv4).toMatchObject({
      echoReplies: 1,
      fragmented: 1,
      fragmentsSent: 3,
      reassembly: { reassembled: 1, inProgress: 0, bytes: 0 },
    });
  });

  it('delivers a 4 KiB UDP datagram sent in fragments, and sends one back in fragments', () => {
    const { send, seen, stack, pair } = setup();
    const socket = stack.udp.bind({ port: 1812 });
    const data = pattern(4096);
    const datagram = ipv4Datagram({
      source: '10.0.0.2',
      destination: '10.0.0.1',
      protocol: 17,
      payload: udp4('10.0.0.2', 4000, '10.0.0.1', 1812, data),
    });
    for (const frame of fragments(datagram, 1480)) send(frame);
    const got = socket.receive({ timeoutMs: 0 }).result;
    expect(got?.status === 'data' && Array.from(got.data)).toEqual(Array.from(data));
    if (got?.status !== 'data') return;
    // ARP first (the peer is unknown), then the fragments once it answers.
    expect(socket.send(got.data, got.meta)).toBe('queued');
    pair.flush();
    seen.length = 0;
    send(
      ethernetFrame(
        STACK_MAC,
        PEER_MAC,
        0x0806,
        Uint8Array.of(
          0,
          1,
          8,
          0,
          6,
          4,
          0,
          2,
          2,
          0,
          0,
          0,
          0,
          0x0b,
          10,
          0,
          0,
          2,
          2,
          0,
          0,
          0,
          0,
          0x0a,
          10,
          0,
          0,
          1,
        ),
      ),
    );
    expect(seen).toHaveLength(3);
    const udp = UdpDatagram.unchecked(rejoin(seen));
    expect(udp.length).toBe(8 + 4096);
    expect(udp.verifyChecksumIpv4(0x0a000001, 0x0a000002)).toBe(true);
    expect(Array.from(udp.payload)).toEqual(Array.from(data));
  });

  it('refuses a UDP send past 65,535 bytes of IP with ERR_LINK_DATAGRAM_TOO_LARGE', () => {
    const { stack } = setup();
    const socket = stack.udp.bind({ port: 1 });
    let code: string | undefined;
    try {
      socket.send(new Uint8Array(65_508), { address: '10.0.0.255', port: 9 });
    } catch (error) {
      code = (error as NetrxError).code;
    }
    expect(code).toBe('ERR_LINK_DATAGRAM_TOO_LARGE');
    expect(socket.send(new Uint8Array(65_507), { address: '10.0.0.255', port: 9 })).toBe('sent');
  });

  it('drops a datagram whose fragments overlap, and its later pieces until the timeout', () => {
    const { send, seen, stack, clock } = setup();
    const request = ipv4Datagram({
      source: '10.0.0.2',
      destination: '10.0.0.1',
      protocol: 1,
      payload: icmpv4Echo(8, 1, 1, pattern(3000)),
    });
    const [a, b, c] = fragments(request, 1480);
    const overlapping = fragments(request, 1000)[1]!; // bytes 1000..2000 overlap a and b
    send(a!);
    send(overlapping);
    send(b!);
    send(c!);
    expect(seen).toEqual([]);
    expect(stack.stats().ipv4.reassembly).toMatchObject({ overlaps: 1, discarded: 2, bytes: 0 });
    expect(stack.stats().ipv4.drops).toMatchObject({
      'fragment-overlap': 1,
      'fragment-discarded': 2,
    });
    clock.advance(30_000);
    for (const frame of [a!, b!, c!]) send(frame);
    expect(seen).toHaveLength(3); // a fresh start after the timeout reassembles
  });

  it('ignores an exact duplicate, drops bad fragments, and times incomplete datagrams out', () => {
    const { send, seen, stack, clock } = setup();
    const request = ipv4Datagram({
      source: '10.0.0.2',
      destination: '10.0.0.1',
      protocol: 1,
      payload: icmpv4Echo(8, 1, 1, pattern(2000)),
    });
    const [a, b] = fragments(request, 1480);
    send(a!);
    send(a!);
    send(b!);
    expect(seen).toHaveLength(2); // the reply, in two fragments
    expect(stack.stats().ipv4.reassembly).toMatchObject({ duplicates: 1, reassembled: 1 });
    // A fragment with More Fragments whose length is not a multiple of 8.
    send(fragments(request, 1001)[0]!);
    expect(stack.stats().ipv4.drops['bad-fragment']).toBe(1);
    send(a!);
    expect(stack.stats().ipv4.reassembly.inProgress).toBe(1);
    clock.advance(29_999);
    expect(stack.stats().ipv4.reassembly.inProgress).toBe(1);
    clock.advance(1);
    expect(stack.stats().ipv4.reassembly).toMatchObject({ inProgress: 0, timeouts: 1, bytes: 0 });
  });

  it('bounds datagrams in progress and bytes held, counting refusals; close cancels the timers', () => {
    const { send, stack, clock } = setup({ maxDatagrams: 2, maxBytes: 3000, maxSourceBytes: 3000 });
    const first = (id: number) =>
      fragments(
        ipv4Datagram({
          source: '10.0.0.2',
          destination: '10.0.0.1',
          protocol: 1,
          identification: id,
          payload: icmpv4Echo(8, 1, 1, pattern(4000)),
        }),
        1480,
      );
    send(first(1)[0]!);
    send(first(2)[0]!);
    send(first(3)[0]!); // a third datagram: the oldest (1) is evicted
    expect(stack.stats().ipv4.reassembly).toMatchObject({ inProgress: 2, evicted: 1, bytes: 2960 });
    send(first(2)[1]!); // 2960 + 1480 > 3000 bytes: datagram 3 is evicted to make room
    expect(stack.stats().ipv4.reassembly).toMatchObject({ inProgress: 1, evicted: 2, bytes: 2960 });
    send(first(2)[2]!); // only datagram 2 itself stands in the way: refused and dropped
    expect(stack.stats().ipv4.reassembly).toMatchObject({ refusedBytes: 1, bytes: 0 });
    expect(stack.stats().ipv4.drops['reassembly-full']).toBe(1);
    expect(clock.pendingTimers).toBeGreaterThan(0);
    stack.close();
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('IPv4 fragments: a full table does not block reassembly (review 9 P2)', () => {
  const junkFirstFragment = (source: string, id: number) =>
    fragments(
      ipv4Datagram({
        source,
        destination: '10.0.0.1',
        protocol: 17,
        identification: id,
        payload: pattern(16),
      }),
      8,
    )[0]!;
  const ping = (id: number) =>
    fragments(
      ipv4Datagram({
        source: '10.0.0.2',
        destination: '10.0.0.1',
        protocol: 1,
        identification: id,
        payload: icmpv4Echo(8, 1, 1, pattern(3000)),
      }),
      1480,
    );

  it('16 junk first fragments from one source: a fragmented ping from another is answered', () => {
    const { send, seen, stack } = setup();
    for (let id = 0; id < 16; id++) send(junkFirstFragment('10.0.0.66', id));
    for (const frame of ping(0x4444)) send(frame);
    expect(stack.stats().ipv4.echoReplies).toBe(1);
    expect(rejoin(seen)[0]).toBe(0);
    // The source's share (4) held: it evicted its own oldest.
    expect(stack.stats().ipv4.reassembly).toMatchObject({ inProgress: 4, evicted: 12 });
  });

  it('16 junk first fragments from 16 sources: the oldest is evicted and the ping is answered', () => {
    const { send, stack } = setup();
    for (let id = 0; id < 16; id++) send(junkFirstFragment(`10.0.0.${100 + id}`, id));
    expect(stack.stats().ipv4.reassembly.inProgress).toBe(16);
    for (const frame of ping(0x4445)) send(frame);
    expect(stack.stats().ipv4.echoReplies).toBe(1);
    expect(stack.stats().ipv4.reassembly).toMatchObject({ inProgress: 15, evicted: 1 });
  });
});

describe('IPv4 fragments: the first header counts toward 65,535 bytes (review 9 P3)', () => {
  /** Fragments of a UDP datagram with `payload` bytes after a first header of `ihl` words, 1400 bytes each. */
  function withOptions(ihl: number, payload: number): Uint8Array[] {
    const frames: Uint8Array[] = [];
    for (let offset = 0; offset < payload; offset += 1400) {
      const length = Math.min(1400, payload - offset);
      const words = offset === 0 ? ihl : 5;
      const ip = new Uint8Array(words * 4 + length);
      ip[0] = 0x40 | words;
      ip[8] = 64;
      ip[9] = 17;
      ip.set([10, 0, 0, 2], 12);
      ip.set([10, 0, 0, 1], 16);
      ip[5] = 0x99;
      ip.fill(1, 20, words * 4); // No Operation options
      const view = Ipv4Packet.unchecked(ip);
      view.setTotalLength(ip.length);
      view.setFragment(false, offset + length < payload, offset / 8);
      view.fillChecksum();
      frames.push(ethernetFrame(STACK_MAC, PEER_MAC, 0x0800, ip));
    }
    return frames;
  }

  it('60-byte first header + 65,515 bytes: dropped as fragment-too-large, nothing delivered', () => {
    const { send, stack } = setup();
    for (const frame of withOptions(15, 65_515)) send(frame);
    expect(stack.stats().ipv4.reassembly).toMatchObject({ reassembled: 0, tooLarge: 1 });
    expect(stack.stats().ipv4.drops['fragment-too-large']).toBe(1);
    expect(stack.stats().ipv4.received).toBe(0);
  });

  it('the last fragment first, then the 60-byte first header: dropped too', () => {
    const { send, stack } = setup();
    const frames = withOptions(15, 65_515);
    for (const frame of [...frames.slice(1).reverse(), frames[0]!]) send(frame);
    expect(stack.stats().ipv4.reassembly).toMatchObject({ reassembled: 0, tooLarge: 1 });
  });

  it('60-byte first header + 65,475 bytes (65,535 in all) is reassembled', () => {
    const { send, stack } = setup();
    for (const frame of withOptions(15, 65_475)) send(frame);
    expect(stack.stats().ipv4.reassembly).toMatchObject({ reassembled: 1, tooLarge: 0 });
    expect(stack.stats().ipv4.received).toBe(1);
  });
});

describe('Reassembly: properties', () => {
  it('any cutting and order, with duplicates, rebuilds the payload; held bytes return to 0', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3000 }),
        fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.integer({ min: 0, max: 3 }),
        (length, cuts, order, duplicates) => {
          const payload = pattern(length);
          const pieces: { offset: number; bytes: Uint8Array; more: boolean }[] = [];
          let offset = 0;
          for (let i = 0; offset < length; i++) {
            const size = Math.min(8 * (cuts[i % cuts.length] as number), length - offset);
            pieces.push({
              offset,
              bytes: payload.subarray(offset, offset + size),
              more: offset + size < length,
            });
            offset += size;
          }
          fc.pre(pieces.length >= 2); // one piece is a whole datagram, not a fragment
          for (let d = 0; d < duplicates; d++) pieces.push(pieces[d % pieces.length]!);
          // Shuffle by the drawn order.
          for (let i = pieces.length - 1; i > 0; i--) {
            const j = (order[i % Math.max(1, order.length)] ?? 0) % (i + 1);
            [pieces[i], pieces[j]] = [pieces[j]!, pieces[i]!];
          }
          const clock = new VirtualClock();
          // Up to 375 pieces of 8 bytes: this is about cutting, not the piece limit.
          const reassembly = new Reassembly(clock, 65_515, { maxPieces: 400 });
          let rebuilt: Uint8Array | undefined;
          for (const p of pieces) {
            const outcome = reassembly.add('k', p.offset, p.more, p.bytes, Uint8Array.of(0x45));
            expect(['complete', 'pending', 'duplicate']).toContain(outcome);
            if (outcome === 'complete') rebuilt ??= reassembly.last!.payload;
          }
          // A duplicate that comes after completion starts a datagram that times out.
          expect(Array.from(rebuilt ?? [])).toEqual(Array.from(payload));
          clock.advance(30_000);
          expect(reassembly.stats()).toMatchObject({ bytes: 0, inProgress: 0 });
        },
      ),
    );
  });

  it('an overlap never yields a datagram, and never leaks held bytes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 50 }),
        fc.integer({ min: 1, max: 49 }),
        fc.integer({ min: 1, max: 20 }),
        (units, at, size) => {
          const clock = new VirtualClock();
          const reassembly = new Reassembly(clock, 65_515);
          const length = units * 8;
          const overlapStart = (at % units) * 8;
          expect(reassembly.add('k', 0, true, pattern(length), Uint8Array.of(0x45))).toBe(
            'pending',
          );
          // Overlaps [0, length): starts inside it.
          const outcome = reassembly.add(
            'k',
            overlapStart,
            false,
            pattern(size * 8),
            Uint8Array.of(0),
          );
          expect(outcome === 'overlap' || outcome === 'duplicate').toBe(true);
          if (outcome === 'overlap') expect(reassembly.stats().bytes).toBe(0);
          clock.advance(30_000);
          expect(reassembly.stats()).toMatchObject({ inProgress: 0, bytes: 0 });
        },
      ),
    );
  });
});
