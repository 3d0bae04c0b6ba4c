// Review D8: GET /api/dashboard/snapshot gives a page opened late what the
// host counted since its start (from the services' own counters): the
// authentications (total, by result, the recent ones), the adapters' frames,
// the echo endpoint, the shared capture sessions. /api/dashboard lists every
// session a page may watch (D10).
import { afterEach, describe, expect, it } from 'vitest';
import { validateHostConfig } from './config.js';
import { TraceRegistry } from '../../trace/index.js';
import { VirtualClock } from '../../testing/index.js';
import {
  addSnapshotCounts,
  dashboardSnapshot,
  snapshotCounts,
  type DashboardSnapshot,
} from './dashboard-snapshot.js';
import { startHost, type HostService, type RunningHost } from './host.js';
import { servicesFromConfig } from './services.js';

const hosts: RunningHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});

describe('netrx up: the dashboard snapshot (review D8)', () => {
  it('carries the totals and recent rows a late page shows', async () => {
    const config = validateHostConfig({
      http: { port: 0 },
      radius: { port: 0 },
      capture: {
        rpc: { port: 0 },
        sessions: [
          { name: 'default', providers: ['*'] },
          { name: 'radius-only', providers: ['netrx-radius'] },
        ],
      },
      synthetic: { intervalMs: 100 },
    });
    const host = await startHost(config, {
      version: '0',
      services: servicesFromConfig(config),
      cli: 'node dist/cli/main.js',
    });
    hosts.push(host);
    const get = async () =>
      (await (
        await fetch(new URL('/api/dashboard/snapshot', host.url))
      ).json()) as DashboardSnapshot;
    const deadline = Date.now() + 10_000;
    let snapshot = await get();
    while (snapshot.authentications.total < 3 && Date.now() < deadline) {
      await new Promise((resolve) => setImmediate(resolve));
      snapshot = await get();
    }
    expect(snapshot.authentications.total).toBeGreaterThanOrEqual(3);
    expect(snapshot.authentications.byResult['MD5-Challenge success']).toBeGreaterThanOrEqual(1);
    expect(snapshot.authentications.recent[0]).toMatchObject({ identity: 'demo' });
    // Each row says how long it took, as the server timed it (review L4: the
    // page's Duration column was empty for every row it had not seen itself).
    const durations = snapshot.authentications.recent.map((a) => a.durationMs);
    expect(durations.every((ms) => typeof ms === 'number' && ms >= 0)).toBe(true);
    // Newest first.
    const times = snapshot.authentications.recent.map((a) => a.timeMs);
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(snapshot.adapters.map((a) => a.name).sort()).toEqual(['synthetic-a', 'synthetic-b']);
    expect(snapshot.adapters.every((a) => a.accepted > 0)).toBe(true);
    // The synthetic link's ARP entries, each stack's of the other (review L4).
    expect(snapshot.neighbours.map((n) => [n.address, n.protocol, n.mac]).sort()).toEqual([
      ['10.99.99.1', 'arp', '02:6e:78:73:79:01'],
      ['10.99.99.2', 'arp', '02:6e:78:73:79:02'],
    ]);
    expect(snapshot.neighbours.every((n) => n.state !== '')).toBe(true);
    // Each synthetic round opens one echo WebSocket and closes it 1000 (review M2).
    expect(snapshot.websocket.open).toBe(0);
    expect(snapshot.websocket.accepted).toBeGreaterThanOrEqual(1);
    expect(Object.keys(snapshot.websocket.closeCodes)).toEqual(['1000']);
    expect(snapshot.sessions.map((s) => s.name)).toEqual(['default', 'radius-only']);
    // What each session matched (review M3): the filtered one lets in only RADIUS's events.
    const [all, radiusOnly] = snapshot.sessions;
    expect(radiusOnly?.matched).toBeGreaterThan(0);
    expect(radiusOnly?.matched).toBeLessThan(all?.matched ?? 0);
    expect(all?.matched).toBeLessThanOrEqual(snapshot.eventsWritten);
    expect(snapshot.eventsWritten).toBeGreaterThan(snapshot.authentications.total);
    expect(snapshot.startedAtMs).toBeLessThanOrEqual(snapshot.atMs);
    const info = (await (await fetch(new URL('/api/dashboard', host.url))).json()) as {
      sessions: string[];
      snapshot: string;
      extcap: { command: string };
    };
    expect(info).toMatchObject({
      sessions: ['default', 'radius-only'],
      snapshot: '/api/dashboard/snapshot',
      // The Wireshark instructions print what runs the CLI where the host runs (review L4).
      extcap: { command: 'node dist/cli/main.js' },
    });
  });
});

describe('the dashboard snapshot: bounds (review mutant M11)', () => {
  const authentication = (n: number) => ({
    timeMs: n,
    identity: `user${n}`,
    method: 'md5',
    outcome: 'success',
  });
  const radius = (recent: ReturnType<typeof authentication>[]): HostService => ({
    name: 'radius',
    start: () => Promise.resolve(''),
    stop: () => Promise.resolve(),
    status: () => ({}),
    snapshot: () => ({ byResult: { 'md5 success': recent.length }, recent }),
  });

  it('keeps the documented 20 newest authentications, whatever a service hands it', () => {
    const many = Array.from({ length: 30 }, (_, i) => authentication(30 - i));
    const snapshot = dashboardSnapshot(
      [radius(many)],
      new TraceRegistry({ clock: new VirtualClock() }),
      0,
      0,
    );
    expect(snapshot.authentications.recent).toHaveLength(20);
    expect(snapshot.authentications.recent[0]).toEqual(authentication(30));
    expect(snapshot.authentications.total).toBe(30);
  });

  it('keeps 20 across a restart too: the new instance first, then the carried ones', () => {
    const carried = snapshotCounts(
      radius(Array.from({ length: 15 }, (_, i) => authentication(15 - i))),
    );
    const fresh = radius(Array.from({ length: 10 }, (_, i) => authentication(100 - i)));
    const snapshot = dashboardSnapshot(
      [fresh],
      new TraceRegistry({ clock: new VirtualClock() }),
      0,
      0,
      (s) => addSnapshotCounts(carried, snapshotCounts(s)),
    );
    expect(snapshot.authentications.recent.map((a) => a.timeMs)).toEqual([
      100, 99, 98, 97, 96, 95, 94, 93, 92, 91, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6,
    ]);
    expect(snapshot.authentications.total).toBe(25);
  });
});
