/**
 * Properties of the link stack (src/link createStack) under arbitrary input:
 * 1. no frame, however malformed, makes a binding throw (the adapter would
 *    count it as a handler error) or escapes `indicate`;
 * 2. nothing grows without bound: neighbour caches stay within maxEntries,
 *    socket queues within their limit, timers within what the entries need,
 *    and the stack sends a bounded number of frames per frame received.
 * Frames are pure garbage, or real headers (ARP, IPv4/ICMP/UDP, IPv6/ND/UDP)
 * aimed at the stack with random fields, so the deep paths run too.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createStack } from '../../src/link/index.js';
import {
  arpPacket,
  createLinkPair,
  ethernetFrame,
  icmpv4Echo,
  icmpv6Message,
  ipv4Datagram,
  ipv6Packet,
  udp4,
  udp6,
  VirtualClock,
} from '../../src/testing/index.js';

const STACK_MAC = '02:00:00:00:00:0a';
const MAX_ENTRIES = 8;
const MAX_QUEUED = 4;

const octet = fc.integer({ min: 0, max: 255 });
const port = fc.constantFrom(7, 8, 53, 9999);
const macText = fc
  .tuple(octet, octet)
  .map(
    ([a, b]) => `02:00:00:00:${a.toString(16).padStart(2, '0')}:${b.toString(16).padStart(2, '0')}`,
  );
const peerIp = octet.map((n) => `10.0.0.${n}`);
const peerIp6 = fc.tuple(octet, octet).map(([a, b]) => `fe80::${a.toString(16)}:${b.toString(16)}`);
const data = fc.uint8Array({ maxLength: 64 });

const arp = fc
  .tuple(
    fc.constantFrom(1 as const, 2 as const),
    macText,
    peerIp,
    fc.constantFrom('10.0.0.1', '10.0.0.77'),
  )
  .map(([operation, mac, senderIp, targetIp]) =>
    ethernetFrame(
      'ff:ff:ff:ff:ff:ff',
      mac,
      0x0806,
      arpPacket({ operation, senderMac: mac, senderIp, targetIp }),
    ),
  );

const ipv4 = fc
  .tuple(macText, peerIp, fc.constantFrom(1, 17, 6), port, data, fc.boolean(), fc.nat({ max: 70 }))
  .map(([mac, source, protocol, destinationPort, payload, fragment, pad]) =>
    ethernetFrame(
      STACK_MAC,
      mac,
      0x0800,
      ipv4Datagram({
        source,
        destination: '10.0.0.1',
        protocol,
        moreFragments: fragment,
        payload:
          protocol === 1
            ? icmpv4Echo(8, 1, 1, payload)
            : protocol === 17
              ? udp4(source, 4000, '10.0.0.1', destinationPort, payload)
              : payload,
      }),
      pad,
    ),
  );

const ipv6 = fc
  .tuple(
    macText,
    peerIp6,
    fc.constantFrom('ns', 'na', 'echo', 'udp'),
    port,
    data,
    fc.constantFrom(255, 64),
  )
  .map(([mac, source, kind, destinationPort, payload, hopLimit]) => {
    const destination = 'fe80::ff:fe00:a';
    const macBytes = Uint8Array.from(mac.split(':').map((h) => parseInt(h, 16)));
    const target = Uint8Array.of(
      0xfe,
      0x80,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0xff,
      0xfe,
      0,
      0,
      0,
      payload[0] ?? 0,
      0xa,
    );
    const body =
      kind === 'udp'
        ? udp6(source, 4000, destination, destinationPort, payload)
        : icmpv6Message(
            source,
            destination,
            kind === 'echo'
              ? { kind: 'echo-request', code: 0, identifier: 1, sequenceNumber: 1, data: payload }
              : kind === 'ns'
                ? {
                    kind: 'neighbor-solicitation',
                    code: 0,
                    reserved: 0,
                    targetAddress: target,
                    options: [{ kind: 'source-link-layer-address', address: macBytes }],
                  }
                : {
                    kind: 'neighbor-advertisement',
                    code: 0,
                    router: false,
                    solicited: payload.length % 2 === 0,
                    override: true,
                    reserved: 0,
                    targetAddress: Uint8Array.of(
                      0xfe,
                      0x80,
                      0,
                      0,
                      0,
                      0,
                      0,
                      0,
                      0,
                      0,
                      0,
                      0,
                      0,
                      0,
                      payload[1] ?? 0,
                      1,
                    ),
                    options: [{ kind: 'target-link-layer-address', address: macBytes }],
                  },
          );
    return ethernetFrame(
      STACK_MAC,
      mac,
      0x86dd,
      ipv6Packet({
        source,
        destination,
        nextHeader: kind === 'udp' ? 17 : 58,
        hopLimit,
        payload: body,
      }),
    );
  });

/** A structured frame with some bytes flipped, cut short, or raw garbage. */
const frame = fc.oneof(
  fc.uint8Array({ maxLength: 120 }),
  arp,
  ipv4,
  ipv6,
  fc
    .tuple(fc.oneof(arp, ipv4, ipv6), fc.nat(), octet, fc.nat({ max: 200 }))
    .map(([bytes, at, value, cut]) => {
      const copy = bytes.slice(0, Math.max(14, bytes.length - cut));
      copy[at % copy.length] = value;
      return copy;
    }),
);

const step = fc.oneof(
  { arbitrary: frame, weight: 8 },
  { arbitrary: fc.integer({ min: 1, max: 40_000 }).map((ms) => ({ advance: ms })), weight: 1 },
  { arbitrary: peerIp.map((ip) => ({ resolve: ip })), weight: 1 },
);

describe('link stack: arbitrary frames', () => {
  it('never throws and keeps every table within its bound', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 120 }), fc.boolean(), (steps, lookahead) => {
        const clock = new VirtualClock();
        const pair = createLinkPair({
          a: { indication: lookahead ? 'lookahead' : 'full-packet' },
          maxInFlight: 100_000,
        });
        const stack = createStack({
          adapter: pair.a,
          clock,
          ipv4: [{ address: '10.0.0.1', prefixLength: 24 }],
          limits: {
            arp: { maxEntries: MAX_ENTRIES, maxQueuedPerEntry: 2 },
            nd: { maxEntries: MAX_ENTRIES },
            udpQueue: MAX_QUEUED,
          },
        });
        const socket = stack.udp.bind({ port: 7 });
        let sent = 0;
        pair.b.tap(() => sent++);
        let received = 0;
        let advances = 0;
        for (const s of steps) {
          if (s instanceof Uint8Array) {
            received++;
            pair.a.indicate(s);
            pair.a.receiveComplete();
          } else if ('advance' in s) {
            advances++;
            clock.advance(s.advance);
          } else {
            socket.send(Uint8Array.of(1), { address: s.resolve, port: 9 });
          }
          pair.flush();
          const stats = stack.stats();
          expect(stats.arp.cache.entries).toBeLessThanOrEqual(MAX_ENTRIES);
          expect(stats.ipv6.cache.entries).toBeLessThanOrEqual(MAX_ENTRIES);
          expect(socket.stats().queuedItems).toBeLessThanOrEqual(MAX_QUEUED);
          // One timer per neighbour entry, per tentative address and per waiting receive at most.
          expect(clock.pendingTimers).toBeLessThanOrEqual(2 * MAX_ENTRIES + 4);
        }
        const handlerErrors = pair.a.stats().bindings.reduce((n, b) => n + b.handlerErrors, 0);
        expect(handlerErrors).toBe(0);
        // Replies are at most one per frame; the rest are bounded solicitations and announcements.
        expect(sent).toBeLessThanOrEqual(
          received + steps.length * 3 + advances * 2 * MAX_ENTRIES + 4,
        );
        stack.close();
        expect(clock.pendingTimers).toBe(0);
      }),
      { numRuns: 200 },
    );
  });
});
