import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Crypto } from '../runtime/index.js';
import {
  createLinkPair,
  createStackHarness,
  ethernetFrame,
  icmpv4Echo,
  ipv4Datagram,
  VirtualClock,
} from '../testing/index.js';
import { parseIpv4Address } from '../wire/index.js';
import { Ipv4Identification } from './ipv4-identification.js';
import { createStack } from './stack.js';

const MAC = Uint8Array.of(2, 0, 0, 0, 0, 0x0a);

/** A deterministic Crypto whose bytes come from `seed` (only fillRandom is used here). */
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

const address = fc.integer({ min: 0, max: 0xffffffff });

describe('Ipv4Identification (RFC 7739)', () => {
  it('advances each destination by one, so no value repeats for it within 65,536 datagrams', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.array(fc.nat({ max: 7 }), { minLength: 1, maxLength: 300 }),
        fc.uniqueArray(address, { minLength: 8, maxLength: 8 }),
        (seed, order, destinations) => {
          const ids = new Ipv4Identification(seededCrypto(seed), MAC);
          const last = new Map<number, number>();
          for (const pick of order) {
            const destination = destinations[pick] as number;
            // Destinations sharing a bucket share its counter: compare within buckets.
            const bucket = ids.bucket(destination);
            const id = ids.next(destination);
            const before = last.get(bucket);
            if (before !== undefined) expect(id).toBe((before + 1) & 0xffff);
            last.set(bucket, id);
          }
        },
      ),
    );
  });

  it('leaks nothing across buckets: what B sees does not depend on what was sent to A', () => {
    fc.assert(
      fc.property(fc.integer(), address, address, fc.nat({ max: 50 }), (seed, a, b, toA) => {
        const ids = new Ipv4Identification(seededCrypto(seed), MAC);
        fc.pre(ids.bucket(a) !== ids.bucket(b));
        const alone = new Ipv4Identification(seededCrypto(seed), MAC);
        const first = ids.next(b);
        expect(alone.next(b)).toBe(first);
        for (let i = 0; i < toA; i++) ids.next(a);
        expect(ids.next(b)).toBe(alone.next(b));
      }),
    );
  });

  it('starts at a value drawn from the Crypto, not at a constant', () => {
    const firsts = new Set<number>();
    for (let seed = 1; seed <= 64; seed++) {
      firsts.add(new Ipv4Identification(seededCrypto(seed * 7919), MAC).next(0x0a000002));
    }
    // 64 draws of 16 bits: a few collisions at most.
    expect(firsts.size).toBeGreaterThan(60);
  });

  it('without a Crypto, spreads hosts by their MAC', () => {
    const one = new Ipv4Identification(undefined, MAC).next(0x0a000002);
    const other = new Ipv4Identification(undefined, Uint8Array.of(2, 0, 0, 0, 0, 0x0b)).next(
      0x0a000002,
    );
    expect(one).not.toBe(other);
  });
});

describe('Ipv4Binding: Identification of what the stack sends', () => {
  const STACK_MAC = '02:00:00:00:00:0a';

  function echo(from: string, peerMac: string) {
    return ethernetFrame(
      STACK_MAC,
      peerMac,
      0x0800,
      ipv4Datagram({
        source: from,
        destination: '10.0.0.1',
        protocol: 1,
        payload: icmpv4Echo(8, 1, 1, new Uint8Array(8)),
      }),
    );
  }
  const idOf = (frame: Uint8Array) => ((frame[18] as number) << 8) | (frame[19] as number);

  it('gives a peer its own counter: pings from another peer do not move it', () => {
    fc.assert(
      fc.property(fc.integer(), fc.nat({ max: 20 }), (seed, others) => {
        const peerA = '10.0.0.2';
        const peerB = '10.0.0.3';
        const buckets = new Ipv4Identification(seededCrypto(seed), MAC);
        fc.pre(
          buckets.bucket(parseIpv4Address(peerA)!) !== buckets.bucket(parseIpv4Address(peerB)!),
        );
        const { seen, send } = createStackHarness({
          crypto: seededCrypto(seed),
          ipv4: [{ address: '10.0.0.1', prefixLength: 24 }],
          ipv6LinkLocal: false,
        });
        seen.length = 0;
        send(echo(peerB, '02:00:00:00:00:0c'));
        for (let i = 0; i < others; i++) send(echo(peerA, '02:00:00:00:00:0b'));
        send(echo(peerB, '02:00:00:00:00:0c'));
        expect(seen).toHaveLength(others + 2);
        const first = idOf(seen[0]!);
        const second = idOf(seen[others + 1]!);
        // A global counter (the old code) would have advanced by others + 1.
        expect(second).toBe((first + 1) & 0xffff);
      }),
      { numRuns: 30 },
    );
  });
});

describe('TTL and hop limit settings', () => {
  for (const bad of [0, 256, -1, 1.5, Number.NaN]) {
    it(`refuses timeToLive ${bad} and hopLimit ${bad} with a RangeError naming the option`, () => {
      expect(() =>
        createStackHarness({ limits: { ipv4: { timeToLive: bad } } }, { settle: false }),
      ).toThrow(/limits\.ipv4\.timeToLive must be an integer from 1 to 255/);
      expect(() =>
        createStackHarness({ limits: { ipv6: { hopLimit: bad } } }, { settle: false }),
      ).toThrow(/limits\.ipv6\.hopLimit must be an integer from 1 to 255/);
    });

    it(`refuses timeToLive ${bad} before any binding opens on the adapter`, () => {
      const pair = createLinkPair();
      expect(() =>
        createStack({
          adapter: pair.a,
          clock: new VirtualClock(),
          limits: { ipv4: { timeToLive: bad } },
        }),
      ).toThrow(RangeError);
      expect(pair.a.stats().bindings).toEqual([]);
    });
  }

  for (const good of [1, 64, 255]) {
    it(`sends with timeToLive ${good}`, () => {
      const { seen, send } = createStackHarness({
        ipv4: [{ address: '10.0.0.1', prefixLength: 24 }],
        ipv6LinkLocal: false,
        limits: { ipv4: { timeToLive: good }, ipv6: { hopLimit: good } },
      });
      send(
        ethernetFrame(
          '02:00:00:00:00:0a',
          '02:00:00:00:00:0b',
          0x0800,
          ipv4Datagram({
            source: '10.0.0.2',
            destination: '10.0.0.1',
            protocol: 1,
            payload: icmpv4Echo(8, 1, 1, new Uint8Array(8)),
          }),
        ),
      );
      expect(seen[0]![22]).toBe(good);
    });
  }
});
