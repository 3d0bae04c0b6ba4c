/**
 * Regression (review, neighbour cache full of INCOMPLETE entries): only
 * STALE entries were evicted, so answering 512 spoofed sources (an echo
 * service, a RADIUS server) filled the cache with entries in resolution and
 * every new real neighbour was refused for the retry window. Now at most
 * `maxIncomplete` entries are in resolution, and a full cache evicts the
 * oldest INCOMPLETE one when there is no STALE one.
 */
import { describe, expect, it } from 'vitest';
import { createStackHarness, VirtualClock } from '../testing/index.js';
import { parseIpv4Address } from '../wire/index.js';
import { NeighborCache } from './neighbor-cache.js';

const ip4 = (text: string) => parseIpv4Address(text)!;

describe('neighbour cache under a spoofed-source flood', () => {
  it('a send to a new real neighbour is not refused after 520 sends to spoofed sources', () => {
    const h = createStackHarness({
      ipv4: [{ address: '10.0.0.1', prefixLength: 16 }],
      ipv6LinkLocal: false,
    });
    for (let i = 0; i < 520; i++) {
      const spoofed = ip4(`10.0.${2 + (i >> 8)}.${i & 0xff}`);
      h.stack.ipv4.sendUdp(undefined, 7, spoofed, 9999, new Uint8Array(1));
    }
    h.pair.flush();
    const result = h.stack.ipv4.sendUdp(undefined, 7, ip4('10.0.9.9'), 5000, new Uint8Array(4));
    expect(result).not.toBe('dropped');
    const cache = h.stack.stats().arp.cache;
    expect(cache.refusals).toBe(0);
    expect(cache.entries).toBeLessThanOrEqual(128);
  });

  it('caps entries in resolution and evicts the oldest INCOMPLETE one when full', () => {
    const solicited: number[] = [];
    const cache = new NeighborCache<number>(
      'arp',
      new VirtualClock(),
      { solicit: (key) => void solicited.push(key), transmit: () => undefined, format: String },
      { maxEntries: 4, maxIncomplete: 2 },
    );
    for (let key = 1; key <= 5; key++) cache.send(key, new Uint8Array(60));
    expect(cache.stats()).toMatchObject({ entries: 2, refusals: 0, evictions: 3 });
    expect(cache.list().map((e) => e.key)).toEqual([4, 5]);
  });
});
