import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../testing/index.js';
import { NeighborCache, type NeighborCacheLimits } from './neighbor-cache.js';

const MAC = 0x02000000000b;

function cache(limits?: NeighborCacheLimits) {
  const clock = new VirtualClock();
  const solicits: [number, string][] = [];
  const sent: Uint8Array[] = [];
  const neighbors = new NeighborCache<number>(
    'arp',
    clock,
    {
      solicit: (key, unicast) =>
        solicits.push([key, unicast === undefined ? 'broadcast' : 'unicast']),
      transmit: (frame) => sent.push(frame),
      format: String,
    },
    limits,
  );
  return { clock, neighbors, solicits, sent };
}

describe('NeighborCache (RFC 4861 §7.3.2 states)', () => {
  it('walks INCOMPLETE → REACHABLE → STALE → DELAY → PROBE → REACHABLE', () => {
    const { clock, neighbors, solicits } = cache();
    expect(neighbors.resolve(1)).toBeUndefined();
    expect(neighbors.get(1)?.state).toBe('incomplete');
    neighbors.learn(1, MAC, true, true, false);
    expect(neighbors.get(1)?.state).toBe('reachable');
    clock.advance(30_000);
    expect(neighbors.get(1)?.state).toBe('stale');
    expect(neighbors.resolve(1)).toEqual(Uint8Array.of(2, 0, 0, 0, 0, 0x0b));
    expect(neighbors.get(1)?.state).toBe('delay');
    clock.advance(5_000);
    expect(neighbors.get(1)?.state).toBe('probe');
    expect(solicits).toEqual([
      [1, 'broadcast'],
      [1, 'unicast'],
    ]);
    neighbors.learn(1, MAC, true, false, false);
    expect(neighbors.get(1)?.state).toBe('reachable');
  });

  it('deletes a PROBE entry after maxUnicastSolicit unanswered probes', () => {
    const { clock, neighbors, solicits } = cache();
    neighbors.learn(1, MAC, false, true, true);
    neighbors.resolve(1);
    clock.advance(5_000 + 3_000);
    expect(solicits.filter(([, kind]) => kind === 'unicast')).toHaveLength(3);
    expect(neighbors.get(1)).toBeUndefined();
  });

  it('without the override flag a new MAC only makes a REACHABLE entry STALE', () => {
    const { neighbors } = cache();
    neighbors.learn(1, MAC, true, true, true);
    neighbors.learn(1, MAC + 1, false, false, false);
    expect(neighbors.get(1)).toMatchObject({
      state: 'stale',
      mac: Uint8Array.of(2, 0, 0, 0, 0, 0x0b),
    });
    neighbors.learn(1, MAC + 1, false, true, false);
    expect(neighbors.get(1)?.mac).toEqual(Uint8Array.of(2, 0, 0, 0, 0, 0x0c));
  });

  it('does not create entries unless told to (RFC 826 merge rule)', () => {
    const { neighbors } = cache();
    expect(neighbors.learn(1, MAC, false, true, false)).toBe(false);
    expect(neighbors.size).toBe(0);
  });

  it('garbage-collects STALE entries after staleMs', () => {
    const { clock, neighbors } = cache({ staleMs: 60_000 });
    neighbors.learn(1, MAC, false, true, true);
    clock.advance(60_000);
    expect(neighbors.size).toBe(0);
  });

  it('validates its limits', () => {
    expect(() => cache({ maxEntries: 0 })).toThrow(RangeError);
    expect(() => cache({ reachableMs: 1.5 })).toThrow(RangeError);
  });

  it('refuses sends after close and leaves no timers', () => {
    const { clock, neighbors } = cache();
    neighbors.send(1, new Uint8Array(14));
    neighbors.close();
    expect(clock.pendingTimers).toBe(0);
    expect(neighbors.send(1, new Uint8Array(14))).toBe('refused');
    expect(neighbors.stats().queueDrops).toBe(1);
  });
});
