import { PerformanceObserver, constants, performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { fromHex } from '../bytes/index.js';
import { TraceRegistry } from '../trace/index.js';
import { VirtualClock } from '../testing/index.js';
import { Adapter } from './adapter.js';
import { createStack } from './stack.js';

/**
 * The NDIS promise that matters most for throughput: rejecting a frame is
 * O(1) and allocates nothing. Allocation is observed through the garbage
 * collector: two million rejections that allocated even one small object each
 * would force dozens of young-generation collections (scavenges); none may
 * happen while the loop runs.
 */
/**
 * Runs `loop` until one run has no scavenge, at most three times, and returns
 * the last run's scavenges and how many runs it took. Only the first runs may
 * allocate, and only while V8 has not yet optimised the path: on a loaded
 * machine its background compiler can finish after a fixed warm-up.
 */
async function quietRun(loop: () => void): Promise<{ scavenges: number[]; runs: number }> {
  let scavenges: number[] = [];
  let runs = 0;
  while (runs < 3) {
    runs++;
    scavenges = await scavengesDuring(loop);
    if (scavenges.length === 0) break;
  }
  return { scavenges, runs };
}

/** Runs `loop` and returns the start times of the scavenges that happened while it ran. */
async function scavengesDuring(loop: () => void): Promise<number[]> {
  const scavenges: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) scavenges.push(entry.startTime);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const start = performance.now();
  loop();
  const end = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 50));
  observer.disconnect();
  return scavenges.filter((t) => t >= start && t <= end);
}

describe('link reject path', () => {
  it('allocates nothing: no scavenge during 2,000,000 rejected indications', async () => {
    // A live trace registry whose listener wants another provider: the link's
    // per-frame events must cost nothing until someone asks for them.
    const trace = new TraceRegistry({ clock: new VirtualClock() });
    trace.enable('netrx-host', () => undefined);
    const adapter = new Adapter({ name: 'eth0', mac: fromHex('02 00 00 00 00 01'), trace });
    adapter.openBinding(
      { receive: (ind) => (ind.etherType === 0x888e ? 'accepted' : 'not-accepted') },
      { name: 'eapol' },
    );
    adapter.openBinding(
      {
        receive: (ind) =>
          ind.etherType === 0x86dd && ind.byteAt(6) === 58 ? 'accepted' : 'not-accepted',
      },
      { name: 'icmpv6' },
    );
    const frame = fromHex('ff ff ff ff ff ff 02 00 00 00 00 02 08 06 00 01 08 00 06 04 00 01');
    for (let i = 0; i < 50_000; i++) adapter.indicate(frame); // warm up: let V8 optimise first

    let accepted = 0;
    const { scavenges } = await quietRun(() => {
      for (let i = 0; i < 2_000_000; i++) accepted += adapter.indicate(frame);
    });
    expect(accepted).toBe(0);
    expect(scavenges).toEqual([]);
  });

  it('allocates nothing while the 802.1X controlled port gates frames from unauthorised MACs', async () => {
    const trace = new TraceRegistry({ clock: new VirtualClock() });
    trace.enable('netrx-host', () => undefined);
    const adapter = new Adapter({
      name: 'eth0',
      mac: fromHex('02 00 00 00 00 01'),
      trace,
      controlledPort: { mode: 'per-mac' },
    });
    // Authorised stations share the high half of the gated one's MAC: both table levels are read.
    for (let i = 0; i < 64; i++) adapter.controlledPort.authorize(Uint8Array.of(2, 0, 0, 0, 1, i));
    adapter.openBinding(
      { receive: (ind) => (ind.etherType === 0x888e ? 'accepted' : 'not-accepted') },
      { name: 'eapol' },
    );
    adapter.openBinding({ receive: () => 'not-accepted' }, { name: 'ipv4', etherTypes: [0x0800] });
    // From 02:00:00:00:02:02 (not authorised): IPv4 to us, ARP broadcast, EAPOL to someone else.
    const frames = [
      fromHex('02 00 00 00 00 01 02 00 00 00 02 02 08 00 45 00 00 14'),
      fromHex('ff ff ff ff ff ff 02 00 00 00 02 02 08 06 00 01 08 00 06 04 00 01'),
      fromHex('02 00 00 00 00 09 02 00 00 00 02 02 88 8e 01 01 00 00'),
    ];
    let accepted = 0;
    for (let i = 0; i < 50_000; i++)
      for (const frame of frames) accepted += adapter.indicate(frame);
    const { scavenges, runs } = await quietRun(() => {
      for (let i = 0; i < 600_000; i++)
        for (const frame of frames) accepted += adapter.indicate(frame);
    });
    expect(accepted).toBe(0);
    expect(scavenges).toEqual([]);
    expect(adapter.stats().dropped.unauthorized).toBe(3 * (50_000 + runs * 600_000));
  });

  it('allocates nothing with the full stack bound: frames for other hosts and other EtherTypes', async () => {
    const adapter = new Adapter({
      name: 'eth0',
      mac: fromHex('02 00 00 00 00 01'),
      transmit: () => undefined,
    });
    const clock = new VirtualClock();
    const stack = createStack({
      adapter,
      clock,
      ipv4: [{ address: '10.0.0.1', prefixLength: 24 }],
      ipv6: [{ address: '2001:db8::1', prefixLength: 64 }],
    });
    clock.advance(1_000); // DAD over
    const frames = [
      // ARP request for another host on the subnet (broadcast, reaches the ARP binding).
      fromHex(`ff ff ff ff ff ff 02 00 00 00 00 02 08 06 00 01 08 00 06 04 00 01
               02 00 00 00 00 02 0a 00 00 02 00 00 00 00 00 00 0a 00 00 63`),
      // IPv4 broadcast to another subnet's broadcast address (reaches the IPv4 binding).
      fromHex(`ff ff ff ff ff ff 02 00 00 00 00 02 08 00 45 00 00 1c 00 00 00 00 40 11 00 00
               0a 00 01 02 0a 00 01 ff 00 01 00 02 00 08 00 00`),
      // IPv6 to all-nodes-like group we did not join, then to the solicited-node group
      // of another host sharing nothing with us (multicast filter keeps it out).
      fromHex(`33 33 ff 00 00 63 02 00 00 00 00 02 86 dd 60 00 00 00 00 08 11 40
               fe 80 00 00 00 00 00 00 00 00 00 00 00 00 00 02
               ff 02 00 00 00 00 00 00 00 00 00 01 ff 00 00 63  00 01 00 02 00 08 00 00`),
      // Unicast frames for another MAC, and another EtherType to us.
      fromHex('02 00 00 00 00 09 02 00 00 00 00 02 08 00 45 00 00 14'),
      fromHex('02 00 00 00 00 01 02 00 00 00 00 02 88 cc 00 00 00 00'),
      fromHex('ff ff ff ff ff ff 02 00 00 00 00 02 88 8e 01 01 00 00'),
    ];
    let accepted = 0;
    for (let i = 0; i < 50_000; i++)
      for (const frame of frames) accepted += adapter.indicate(frame);
    const { scavenges, runs } = await quietRun(() => {
      for (let i = 0; i < 300_000; i++)
        for (const frame of frames) accepted += adapter.indicate(frame);
    });
    expect(accepted).toBe(0);
    expect(scavenges).toEqual([]);
    const stats = stack.stats();
    expect(stats.arp.drops['not-for-us']).toBe(50_000 + runs * 300_000);
    expect(stats.ipv4.drops['not-for-us']).toBe(50_000 + runs * 300_000);
    stack.close();
  });
});
