import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Crypto } from '../runtime/index.js';
import { createStackHarness, ethernetFrame, icmpv6Message, ipv6Packet } from '../testing/index.js';
import { parseIpv6Address } from '../wire/index.js';
import { Ipv6Identification } from './identification.js';

// What the IPv6 binding puts in the Fragment header of what it sends (RFC 7739 §5).

const STACK_MAC = '02:00:00:00:00:0a';
const STACK_LL = 'fe80::ff:fe00:a';

/** A Crypto that fills every byte with `byte`: every counter then starts at byte × 0x01010101. */
function constantCrypto(byte: number): Crypto {
  return { fillRandom: (into: Uint8Array) => into.fill(byte) } as unknown as Crypto;
}

/** The Identification field of a fragment frame the stack sent (no VLAN tag, no extension header). */
function fragmentId(frame: Uint8Array): number {
  expect(frame[14 + 6]).toBe(44);
  return new DataView(frame.buffer, frame.byteOffset).getUint32(14 + 40 + 4);
}

/** The IDs of the fragmented datagrams in `frames` (one entry per datagram, in send order). */
function datagramIds(frames: readonly Uint8Array[]): number[] {
  const ids: number[] = [];
  for (const frame of frames) {
    const id = fragmentId(frame);
    if (ids[ids.length - 1] !== id) ids.push(id);
  }
  return ids;
}

/**
 * A 4000-byte echo request from `peer` (link-local, MAC `peerMac`) in
 * fragments (a whole one would not fit the link): its reply is fragmented.
 */
function bigPing(peer: string, peerMac: string): Uint8Array[] {
  const upper = icmpv6Message(peer, STACK_LL, {
    kind: 'echo-request',
    code: 0,
    identifier: 1,
    sequenceNumber: 1,
    data: new Uint8Array(4000),
  });
  const chunk = 1448; // a multiple of 8 that fits a 1500-byte MTU with the headers
  const frames: Uint8Array[] = [];
  for (let offset = 0; offset < upper.length; offset += chunk) {
    const part = upper.subarray(offset, Math.min(offset + chunk, upper.length));
    const payload = new Uint8Array(8 + part.length);
    payload[0] = 58;
    payload[2] = offset >> 8;
    payload[3] = (offset & 0xf8) | (offset + chunk < upper.length ? 1 : 0);
    payload[7] = 7;
    payload.set(part, 8);
    frames.push(
      ethernetFrame(
        STACK_MAC,
        peerMac,
        0x86dd,
        ipv6Packet({ source: peer, destination: STACK_LL, nextHeader: 44, payload }),
      ),
    );
  }
  return frames;
}

const GROUPS = ['ff02::1', 'ff02::2', 'ff02::1:2', 'ff05::1:3', 'ff0e::101', 'ff02::fb'];

describe('IPv6 fragment Identification (RFC 7739)', () => {
  afterEach(() => vi.restoreAllMocks());

  it('starts each destination at the value the Crypto gives, not at 1', () => {
    const { stack, seen, pair } = createStackHarness({ ipv4: [], crypto: constantCrypto(0xa7) });
    const socket = stack.udp.bind({ port: 5000 });
    expect(socket.send(new Uint8Array(3000), { address: 'ff02::1', port: 9 })).toBe('sent');
    expect(socket.send(new Uint8Array(3000), { address: 'ff02::1', port: 9 })).toBe('sent');
    pair.flush();
    // Counters start at 0xa7a7a7a7; each datagram to the destination adds one.
    expect(datagramIds(seen)).toEqual([0xa7a7a7a8, 0xa7a7a7a9]);
  });

  it('wraps a 32-bit counter: 0xffffffff is followed by 0', () => {
    const { stack, seen, pair } = createStackHarness({ ipv4: [], crypto: constantCrypto(0xff) });
    const socket = stack.udp.bind({ port: 5000 });
    socket.send(new Uint8Array(3000), { address: 'ff02::1', port: 9 });
    socket.send(new Uint8Array(3000), { address: 'ff02::1', port: 9 });
    pair.flush();
    expect(datagramIds(seen)).toEqual([0, 1]);
  });

  it('gives each destination its own counter: sends to others do not move it', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.constantFrom(...GROUPS),
        fc.constantFrom(...GROUPS),
        fc.nat({ max: 12 }),
        fc.integer({ min: 1453, max: 9000 }),
        (seed, watched, other, toOther, size) => {
          const crypto = seededCrypto(seed);
          const buckets = expectedIds(seed);
          const watchedAddress = parseIpv6Address(watched)!;
          fc.pre(buckets.bucket(watchedAddress) !== buckets.bucket(parseIpv6Address(other)!));
          const { stack, seen, pair } = createStackHarness({ ipv4: [], crypto });
          const socket = stack.udp.bind({ port: 5000 });
          const sendTo = (address: string) => {
            const before = seen.length;
            expect(socket.send(new Uint8Array(size), { address, port: 9 })).toBe('sent');
            pair.flush();
            return datagramIds(seen.slice(before));
          };
          const first = sendTo(watched);
          for (let i = 0; i < toOther; i++) sendTo(other);
          const second = sendTo(watched);
          // The exact values the seeded randomness gives this destination.
          expect([...first, ...second]).toEqual([
            buckets.next(watchedAddress),
            buckets.next(watchedAddress),
          ]);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('to two peers, the IDs are not consecutive (no global counter to sample)', () => {
    const { send, seen } = createStackHarness({ ipv4: [] });
    for (const frame of bigPing('fe80::b', '02:00:00:00:00:0b')) send(frame);
    for (const frame of bigPing('fe80::c', '02:00:00:00:00:0c')) send(frame);
    const [a, b] = datagramIds(seen);
    expect(a).toBeDefined();
    expect(b).toBeDefined();
    // A shared counter (the old code) gave a, a + 1. Two random 32-bit starts
    // are one apart with probability 2^-31.
    expect(Math.abs((b! - a!) | 0)).not.toBe(1);
  });

  it('an observer cannot predict the next ID: two stacks with the same MAC start apart', () => {
    const first = () => {
      const { stack, seen, pair } = createStackHarness({ ipv4: [] });
      stack.udp.bind({ port: 5000 }).send(new Uint8Array(3000), { address: 'ff02::1', port: 9 });
      pair.flush();
      return datagramIds(seen)[0];
    };
    const a = first();
    const b = first();
    expect(a).toBeDefined();
    expect(a).not.toBe(1);
    // 32 random bits: equal with probability 2^-32.
    expect(b).not.toBe(a);
  });

  it('draws from globalThis.crypto without createStack({ crypto }), and refuses a host without it', () => {
    vi.spyOn(globalThis.crypto, 'getRandomValues').mockImplementation(<T>(a: T): T => {
      (a as Uint8Array).fill(0x3c);
      return a;
    });
    const { stack, seen, pair } = createStackHarness({ ipv4: [] });
    stack.udp.bind({ port: 5000 }).send(new Uint8Array(3000), { address: 'ff02::2', port: 9 });
    pair.flush();
    expect(datagramIds(seen)).toEqual([0x3c3c3c3d]);
    vi.restoreAllMocks();
    vi.stubGlobal('crypto', undefined);
    try {
      expect(() => createStackHarness({ ipv4: [] })).toThrow(
        expect.objectContaining({ code: 'ERR_LINK_NO_RANDOMNESS' }),
      );
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

/** A deterministic Crypto whose bytes come from `seed` (a xorshift32; only fillRandom is used). */
function seededCrypto(seed: number): Crypto {
  let state = seed >>> 0 || 1;
  return {
    fillRandom(into: Uint8Array) {
      for (let i = 0; i < into.length; i++) {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        into[i] = state & 0xff;
      }
    },
  } as unknown as Crypto;
}

/**
 * The IDs a stack built with `seededCrypto(seed)` sends: the stack's IPv4
 * binding draws its 516 bytes first, then the IPv6 binding its own.
 */
function expectedIds(seed: number): Ipv6Identification {
  const crypto = seededCrypto(seed);
  crypto.fillRandom(new Uint8Array(516));
  return new Ipv6Identification(crypto);
}
