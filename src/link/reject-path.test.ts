import { PerformanceObserver, constants, performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { fromHex } from '../bytes/index.js';
import { Adapter } from './adapter.js';

/**
 * The NDIS promise that matters most for throughput: rejecting a frame is
 * O(1) and allocates nothing. Allocation is observed through the garbage
 * collector: two million rejections that allocated even one small object each
 * would force dozens of young-generation collections (scavenges); none may
 * happen while the loop runs.
 */
describe('link reject path', () => {
  it('allocates nothing: no scavenge during 2,000,000 rejected indications', async () => {
    const adapter = new Adapter({ name: 'eth0', mac: fromHex('02 00 00 00 00 01') });
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

    const scavenges: number[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
        if (kind === constants.NODE_PERFORMANCE_GC_MINOR) scavenges.push(entry.startTime);
      }
    });
    observer.observe({ entryTypes: ['gc'] });
    const start = performance.now();
    let accepted = 0;
    for (let i = 0; i < 2_000_000; i++) accepted += adapter.indicate(frame);
    const end = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 50));
    observer.disconnect();
    expect(accepted).toBe(0);
    expect(scavenges.filter((t) => t >= start && t <= end)).toEqual([]);
  });
});
