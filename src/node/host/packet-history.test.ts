import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../testing/index.js';
import { PcapReader } from '../../wire/index.js';
import { validateHostConfig } from './config.js';
import { startHost, type RunningHost } from './host.js';
import { PacketHistory } from './packet-history.js';
import { servicesFromConfig } from './services.js';

function records(file: Uint8Array) {
  const reader = new PcapReader();
  reader.push(file);
  reader.end();
  const out: { data: Uint8Array; originalLength: number; capturedLength: number }[] = [];
  for (let r = reader.next(); ; r = reader.next()) {
    if (r.kind === 'record') out.push(r.record);
    else if (r.kind === 'error') throw new Error(r.failure.message);
    else break;
  }
  return out;
}

const frame = (n: number, length = 60) => Uint8Array.from({ length }, (_, i) => (n + i) & 0xff);

describe('PacketHistory', () => {
  it('writes what it keeps as pcapng that a reader accepts, original lengths kept', () => {
    const clock = new VirtualClock();
    const history = new PacketHistory(clock);
    history.add({ atMs: 0, ifIndex: 1, data: frame(1), originalLength: 60, outbound: false });
    history.add({ atMs: 1, ifIndex: 2, data: frame(2, 128), originalLength: 1514, outbound: true });
    const got = records(history.pcapng());
    expect(got.map((r) => [r.capturedLength, r.originalLength])).toEqual([
      [60, 60],
      [128, 1514],
    ]);
    expect(got[1]?.data).toEqual(frame(2, 128));
  });

  it('stays within its byte and age bounds whatever arrives', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 5000 }),
        fc.array(fc.record({ gap: fc.nat(2000), length: fc.integer({ min: 14, max: 300 }) }), {
          maxLength: 200,
        }),
        (maxBytes, arrivals) => {
          const clock = new VirtualClock();
          const history = new PacketHistory(clock, { maxBytes, maxAgeMs: 10_000 });
          let now = 0;
          for (const [i, a] of arrivals.entries()) {
            now += a.gap;
            history.add({
              atMs: now,
              ifIndex: 1,
              data: frame(i, a.length),
              originalLength: a.length,
              outbound: false,
            });
          }
          clock.advance(now);
          const kept = records(history.pcapng());
          const bytes = kept.reduce((n, r) => n + r.capturedLength, 0);
          return (
            bytes <= maxBytes &&
            kept.length === history.size &&
            history.counts.kept === arrivals.length
          );
        },
      ),
    );
  });

  it('review mutant M9: by default keeps the documented 5 minutes, to the millisecond', () => {
    const clock = new VirtualClock();
    const history = new PacketHistory(clock);
    history.add({ atMs: 0, ifIndex: 1, data: frame(0), originalLength: 60, outbound: false });
    clock.advance(5 * 60_000);
    expect(records(history.pcapng())).toHaveLength(1);
    clock.advance(1);
    expect(records(history.pcapng())).toHaveLength(0);
    expect(history.counts.evicted).toBe(1);
  });

  it('forgets frames older than maxAgeMs', () => {
    const clock = new VirtualClock();
    const history = new PacketHistory(clock, { maxAgeMs: 1000 });
    history.add({ atMs: 0, ifIndex: 1, data: frame(0), originalLength: 60, outbound: false });
    clock.advance(1500);
    expect(records(history.pcapng())).toHaveLength(0);
    expect(history.counts.evicted).toBe(1);
  });
});

describe('GET /api/capture.pcapng on the default host', () => {
  const hosts: RunningHost[] = [];
  afterEach(async () => {
    for (const host of hosts.splice(0)) await host.stop();
  });

  it("holds the synthetic link's frames (ARP, the UDP echo), tapped through the host's packet-capture provider", async () => {
    const config = validateHostConfig({
      http: { port: 0 },
      radius: { port: 0 },
      capture: { rpc: { port: 0 } },
      synthetic: { intervalMs: 100 },
    });
    const host = await startHost(config, {
      version: '0.0.0',
      services: servicesFromConfig(config),
    });
    hosts.push(host);
    const url = new URL('/api/capture.pcapng', host.url);
    let got: ReturnType<typeof records> = [];
    for (let i = 0; i < 50 && got.length < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-disposition')).toMatch(/netrx\.pcapng/);
      got = records(new Uint8Array(await response.arrayBuffer()));
    }
    expect(got.length).toBeGreaterThanOrEqual(3);
    const etherTypes = new Set(got.map((r) => ((r.data[12] ?? 0) << 8) | (r.data[13] ?? 0)));
    expect(etherTypes).toContain(0x0800);
  });
});
