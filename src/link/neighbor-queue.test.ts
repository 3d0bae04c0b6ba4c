/**
 * The neighbour cache's resolution queue holds whole datagrams: every
 * fragment of a send waits for ARP / ND and goes out once the neighbour
 * answers, and a byte bound (per entry and overall) drops whole datagrams,
 * counted. Before, the queue held frames, so a datagram in more fragments
 * than `maxQueuedPerEntry` lost its first ones (fragment 0 included).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  arpPacket,
  createStackHarness,
  ethernetFrame,
  icmpv6Message,
  ipv6Packet,
  VirtualClock,
} from '../testing/index.js';
import { parseIpv6Address, parseMac } from '../wire/index.js';
import { NeighborCache, type NeighborCacheLimits } from './neighbor-cache.js';
import type { StackLimits } from './stack.js';

const STACK_MAC = '02:00:00:00:00:0a';
const PEER_MAC = '02:00:00:00:00:0b';
const PEER_LL = 'fe80::ff:fe00:b';
const STACK_LL = 'fe80::ff:fe00:a';

function setup(limits?: StackLimits) {
  const harness = createStackHarness({
    ipv4: [{ address: '10.0.0.1', prefixLength: 24 }],
    ...(limits && { limits }),
  });
  harness.seen.length = 0;
  return harness;
}

const arpReply = () =>
  ethernetFrame(
    STACK_MAC,
    PEER_MAC,
    0x0806,
    arpPacket({
      operation: 2,
      senderMac: PEER_MAC,
      senderIp: '10.0.0.2',
      targetMac: STACK_MAC,
      targetIp: '10.0.0.1',
    }),
  );

const neighborAdvertisement = () =>
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
  );

/** IPv4 fragment offsets (in bytes) of the IPv4 frames among `frames`, in order. */
const ipv4Offsets = (frames: Uint8Array[]) =>
  frames
    .filter((f) => f[12] === 0x08 && f[13] === 0x00)
    .map((f) => ((((f[20] as number) & 0x1f) << 8) | (f[21] as number)) * 8);

describe('resolution queue: whole datagrams', () => {
  it('IPv4: an 8000-byte datagram (6 fragments) waits for ARP and goes out whole, fragment 0 first', () => {
    const { stack, seen, send, pair } = setup();
    const socket = stack.udp.bind({ port: 5000 });
    expect(socket.send(new Uint8Array(8000), { address: '10.0.0.2', port: 7 })).toBe('queued');
    pair.flush();
    seen.length = 0; // the ARP request
    send(arpReply());
    const offsets = ipv4Offsets(seen);
    expect(offsets).toHaveLength(6);
    expect(offsets[0]).toBe(0);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(seen.every((f) => f.subarray(0, 6).join() === parseMac(PEER_MAC)!.join())).toBe(true);
    expect(stack.arp.stats().cache).toMatchObject({ queueDrops: 0, queueOverflows: 0 });
  });

  it('IPv6: a 6000-byte datagram (5 fragments) waits for ND and goes out whole', () => {
    const { stack, seen, send, pair } = setup();
    const socket = stack.udp.bind({ port: 5000 });
    expect(socket.send(new Uint8Array(6000), { address: PEER_LL, port: 7 })).toBe('queued');
    pair.flush();
    seen.length = 0;
    send(neighborAdvertisement());
    const fragments = seen.filter((f) => f[12] === 0x86 && f[20] === 44);
    expect(fragments).toHaveLength(5);
    // Fragment header offsets (the top 13 bits of its third word) in order from 0.
    const offsets = fragments.map((f) => (((f[56] as number) << 8) | (f[57] as number)) >> 3);
    expect(offsets[0]).toBe(0);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(stack.ipv6.stats().cache.queueDrops).toBe(0);
  });

  it('a datagram larger than the per-entry byte bound is refused whole and counted', () => {
    const { stack, seen, send, pair } = setup({ arp: { maxQueuedBytesPerEntry: 4096 } });
    const socket = stack.udp.bind({ port: 5000 });
    expect(socket.send(new Uint8Array(8000), { address: '10.0.0.2', port: 7 })).toBe('dropped');
    expect(socket.send(new Uint8Array(100), { address: '10.0.0.2', port: 7 })).toBe('queued');
    pair.flush();
    seen.length = 0;
    send(arpReply());
    expect(ipv4Offsets(seen)).toEqual([0]);
    expect(stack.ipv4.stats().sendDrops['resolution-queue-full']).toBe(1);
    expect(stack.arp.stats().cache).toMatchObject({ queueDrops: 6, queueOverflows: 1 });
  });

  it('past the per-entry byte bound the oldest whole datagrams make room', () => {
    const { stack, seen, send, pair } = setup({ arp: { maxQueuedBytesPerEntry: 10_000 } });
    const socket = stack.udp.bind({ port: 5000 });
    socket.send(new Uint8Array(4000).fill(1), { address: '10.0.0.2', port: 7 }); // 3 fragments
    socket.send(new Uint8Array(4000).fill(2), { address: '10.0.0.2', port: 7 });
    socket.send(new Uint8Array(4000).fill(3), { address: '10.0.0.2', port: 7 });
    expect(stack.arp.entries()[0]).toMatchObject({ queued: 6 });
    pair.flush();
    seen.length = 0;
    send(arpReply());
    // The first datagram was dropped whole; the second and third arrive whole.
    expect(ipv4Offsets(seen)).toEqual([0, 1480, 2960, 0, 1480, 2960]);
    expect(seen[0]![42]).toBe(2);
    expect(seen[3]![42]).toBe(3);
    expect(stack.arp.stats().cache).toMatchObject({ queueDrops: 3, queueOverflows: 1 });
  });
});

function cache(limits: NeighborCacheLimits) {
  const clock = new VirtualClock();
  const sent: Uint8Array[] = [];
  const neighbors = new NeighborCache<number>(
    'arp',
    clock,
    { solicit: () => undefined, transmit: (frame) => sent.push(frame), format: String },
    limits,
  );
  return { clock, neighbors, sent };
}

type Step =
  { send: number; frames: number; size: number } | { learn: number } | { advance: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    arbitrary: fc.record({
      send: fc.nat({ max: 3 }),
      frames: fc.integer({ min: 1, max: 6 }),
      size: fc.integer({ min: 14, max: 1514 }),
    }),
    weight: 6,
  },
  { arbitrary: fc.record({ learn: fc.nat({ max: 3 }) }), weight: 1 },
  { arbitrary: fc.record({ advance: fc.integer({ min: 1, max: 3000 }) }), weight: 1 },
);

describe('NeighborCache queue (property)', () => {
  it('keeps every bound, and sends each datagram whole or not at all, in order', () => {
    fc.assert(
      fc.property(
        fc.record({
          maxQueuedPerEntry: fc.integer({ min: 1, max: 6 }),
          maxQueuedBytesPerEntry: fc.integer({ min: 1, max: 12_000 }),
          maxQueuedBytes: fc.integer({ min: 1, max: 20_000 }),
        }),
        fc.array(step, { maxLength: 60 }),
        (limits, steps) => {
          const { clock, neighbors, sent } = cache(limits);
          let datagram = 0;
          const sizes = new Map<number, number>();
          for (const s of steps) {
            if ('send' in s) {
              datagram++;
              sizes.set(datagram, s.frames);
              const frames = Array.from({ length: s.frames }, (_, i) => {
                // Each frame carries its datagram and its index after the MAC bytes.
                const frame = new Uint8Array(s.size);
                frame[6] = datagram & 0xff;
                frame[7] = datagram >> 8;
                frame[8] = i;
                return frame;
              });
              neighbors.sendAll(s.send, frames);
            } else if ('learn' in s) {
              neighbors.learn(s.learn, 0x02000000000b, true, true, false);
            } else {
              clock.advance(s.advance);
            }
            const stats = neighbors.stats();
            expect(stats.queuedBytes).toBeLessThanOrEqual(limits.maxQueuedBytes);
            let total = 0;
            for (const entry of neighbors.list()) {
              expect(entry.queuedBytes).toBeLessThanOrEqual(limits.maxQueuedBytesPerEntry);
              total += entry.queuedBytes;
            }
            expect(total).toBe(stats.queuedBytes);
          }
          // Whatever was sent went out as whole datagrams, their frames in order.
          let cursor = 0;
          while (cursor < sent.length) {
            const first = sent[cursor]!;
            const id = (first[6] as number) | ((first[7] as number) << 8);
            const count = sizes.get(id)!;
            for (let i = 0; i < count; i++) {
              const frame = sent[cursor + i]!;
              expect((frame[6] as number) | ((frame[7] as number) << 8)).toBe(id);
              expect(frame[8]).toBe(i);
            }
            cursor += count;
          }
          neighbors.close();
          expect(neighbors.stats().queuedBytes).toBe(0);
        },
      ),
    );
  });
});

describe('NeighborCache: the overall byte bound (link-review3 F4)', () => {
  it('counts only other entries against it, so a third datagram to one neighbour replaces its oldest', () => {
    const sent: Uint8Array[] = [];
    const cache = new NeighborCache<number>(
      'arp',
      new VirtualClock(),
      { solicit: () => undefined, transmit: (f) => sent.push(f), format: String },
      { maxQueuedBytes: 3000, maxQueuedBytesPerEntry: 100_000, maxQueuedPerEntry: 16 },
    );
    const datagram = (tag: number) => [new Uint8Array(1400).fill(tag)];
    expect(cache.sendAll(7, datagram(1))).toBe('queued');
    expect(cache.sendAll(7, datagram(2))).toBe('queued');
    // 4200 bytes would pass the 3000-byte bound; the entry's own oldest goes, not the newest.
    expect(cache.sendAll(7, datagram(3))).toBe('queued');
    cache.learn(7, 0x020000000007, true, true, true);
    expect(sent.map((f) => f[100])).toEqual([2, 3]);
  });
});
