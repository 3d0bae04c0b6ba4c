// Review D11: `link.pcapReplay[]` in `netrx up`: a public capture (tcpdump's
// eapon1.pcap, 114 Ethernet frames, from /work/shared/fixtures: skipped with
// a notice when absent, a failure under CI=true) replayed as an adapter's
// wire, counted in /metrics; the capture's pace on a virtual clock; the
// configuration checks naming the key.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../testing/index.js';
import { TraceRegistry } from '../../trace/index.js';
import { ConfigError, validateHostConfig } from './config.js';
import { startHost, type HostContext, type RunningHost } from './host.js';
import { pcapReplayService } from './pcap-replay-service.js';
import { servicesFromConfig } from './services.js';

const FIXTURES = '/work/shared/fixtures/pcap';
const EAPON1 = join(FIXTURES, 'eapon1.pcap');
const DNS = join(FIXTURES, 'dns_udp.pcap');
const present = existsSync(EAPON1) && existsSync(DNS);
if (!present) console.warn(`[netrx] ${FIXTURES} not found: skipping the pcap replay host tests`);
const dir = mkdtempSync(join(tmpdir(), 'netrx-pcap-replay-'));

const hosts: RunningHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});

/** Whether a paced replay is waiting on the clock for its next frame (see status()). */
function waitingForTimer(service: ReturnType<typeof pcapReplayService>): boolean {
  return service.status()['waiting'] === true;
}

function metric(text: string, line: string): number | undefined {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

describe('netrx up: link.pcapReplay', () => {
  it.runIf(!present && process.env['CI'] === 'true')('has its fixtures under CI', () => {
    expect.fail(`${FIXTURES} is missing: the pcap replay tests cannot run`);
  });

  it.skipIf(!present)(
    'replays a public capture twice through an adapter with an address: /metrics counts the frames',
    async () => {
      const config = validateHostConfig({
        http: { port: 0 },
        radius: { enabled: false },
        capture: { rpc: { enabled: false } },
        synthetic: { enabled: false },
        link: { pcapReplay: [{ name: 'replay0', file: EAPON1, ipv4: ['10.0.0.2/24'], loops: 2 }] },
      });
      const host = await startHost(config, { version: '0', services: servicesFromConfig(config) });
      hosts.push(host);
      expect(host.started.find((s) => s.name === 'replay0')?.detail).toMatch(
        /^replaying .*eapon1\.pcap 2 time\(s\), as fast as possible$/,
      );
      let text: string;
      const deadline = Date.now() + 10_000;
      do {
        text = await (await fetch(new URL('/metrics', host.url))).text();
        if (metric(text, 'netrx_link_replay_loops_total{adapter="replay0"}') === 2) break;
        await new Promise((r) => setTimeout(r, 20));
      } while (Date.now() < deadline);
      expect(metric(text, 'netrx_link_replay_loops_total{adapter="replay0"}')).toBe(2);
      expect(metric(text, 'netrx_link_replay_frames_total{adapter="replay0"}')).toBe(228);
      expect(metric(text, 'netrx_link_frames_indicated_total{adapter="replay0"}')).toBe(228);
      const health = (await (await fetch(new URL('/health', host.url))).json()) as {
        services: { name: string; frames?: number; running?: boolean }[];
      };
      expect(health.services.find((s) => s.name === 'replay0')).toMatchObject({ frames: 228 });
    },
  );

  it.skipIf(!present)(
    "speed 1 follows the capture's own pace on the host's clock (no real time)",
    async () => {
      const clock = new VirtualClock();
      const trace = new TraceRegistry({ clock });
      const context = {
        clock,
        trace,
        logger: pino({ level: 'silent' }),
        log: () => undefined,
        captureAdapter: () => () => undefined,
      } as unknown as HostContext;
      // dns_udp.pcap: 2 frames, the second 130.282 ms after the first.
      const config = validateHostConfig({
        link: { pcapReplay: [{ name: 'paced', file: DNS, speed: 1 }] },
      }).link.pcapReplay[0];
      if (config === undefined) throw new Error('no entry');
      const service = pcapReplayService(config);
      await service.start(context);
      const frames = () => (service.status()['adapter'] as { indicated: number }).indicated;
      // The file is read with real I/O: wait for it (not for the clock) by turns.
      const turns = async (until: () => boolean) => {
        for (let i = 0; i < 2000 && !until(); i++) await new Promise((r) => setTimeout(r, 1));
      };
      await turns(() => frames() === 1);
      expect(frames()).toBe(1);
      clock.advance(130);
      await turns(() => frames() > 1 || waitingForTimer(service));
      expect(frames()).toBe(1);
      clock.advance(1);
      await turns(() => frames() === 2);
      expect(frames()).toBe(2);
      expect(await service.stop()).toBe('2 frame(s) replayed in 1 loop(s)');
    },
  );

  it('a stop while waiting for the next frame ends the replay at once', async () => {
    if (!present) return;
    const clock = new VirtualClock();
    const context = {
      clock,
      trace: new TraceRegistry({ clock }),
      logger: pino({ level: 'silent' }),
      log: () => undefined,
      captureAdapter: () => () => undefined,
    } as unknown as HostContext;
    const config = validateHostConfig({
      link: { pcapReplay: [{ name: 'paced', file: DNS, speed: 1, loops: 0 }] },
    }).link.pcapReplay[0];
    if (config === undefined) throw new Error('no entry');
    const service = pcapReplayService(config);
    await service.start(context);
    await new Promise((r) => setImmediate(r));
    expect(await service.stop()).toBe('0 frame(s) replayed in 0 loop(s)');
  });

  it('checks each entry, naming the key', () => {
    const bad = (entry: Record<string, unknown>, vxlan: unknown[] = []) => {
      try {
        validateHostConfig({ link: { pcapReplay: [entry], vxlan } });
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
      return 'accepted';
    };
    const text = join(dir, 'not-a-capture.pcap');
    writeFileSync(text, 'hello, not a capture');
    const capture = join(dir, 'empty.pcap');
    writeFileSync(capture, Uint8Array.of(0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0));
    expect(bad({ name: 'r', file: join(dir, 'missing.pcap') })).toMatch(
      /^link\.pcapReplay\[0\]\.file: no such file: /,
    );
    expect(bad({ name: 'r', file: text })).toMatch(
      /^link\.pcapReplay\[0\]\.file: .* is not a pcap or pcapng file$/,
    );
    expect(bad({ name: 'r', file: dir })).toMatch(
      /^link\.pcapReplay\[0\]\.file: .* is not a file$/,
    );
    expect(bad({ file: capture })).toMatch(/^link\.pcapReplay\[0\]\.name: /);
    expect(bad({ name: 'r', file: capture, loops: 0 })).toMatch(
      /^link\.pcapReplay\[0\]\.loops: 0 \(until the host stops\) needs a speed above 0/,
    );
    expect(bad({ name: 'r', file: capture, speed: 1.5 })).toMatch(
      /^link\.pcapReplay\[0\]\.speed: /,
    );
    expect(bad({ name: 'r', file: capture })).toBe('accepted');
    expect(() =>
      validateHostConfig({
        link: {
          pcapReplay: [
            { name: 'r', file: capture },
            { name: 'r', file: capture },
          ],
        },
      }),
    ).toThrow(/^link\.pcapReplay\[1\]\.name: adapter r is already link\.pcapReplay\[0\]$/);
    expect(
      bad({ name: 'vxlan7', file: capture }, [
        { bind: '127.0.0.1:4790', remote: '127.0.0.1:4789', vni: 7, mac: '02:00:00:00:00:02' },
      ]),
    ).toMatch(/^link\.pcapReplay\[0\]\.name: adapter vxlan7 is already link\.vxlan\[0\]$/);
  });
});
