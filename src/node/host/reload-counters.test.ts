// Review H1: the host, not each service instance, owns the totals. A reload
// that restarts a service, a refused reload that brings the old instance
// back, keep every counter series (and the dashboard snapshot's totals)
// where it was or higher; no series vanishes. The two host tests with the
// real RADIUS server are the review's (test/review/host-review-findings.test.ts
// on host-review) and failed on main before counter-carry.ts (6 -> 2, 6 -> 0).
import { createSocket } from 'node:dgram';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createMd5Method } from '../../eap/index.js';
import { runRadiusEapTest } from '../radius/index.js';
import { nodeCrypto } from '../runtime/index.js';
import { validateHostConfig } from './config.js';
import type { DashboardSnapshot } from './dashboard-snapshot.js';
import { startHost, type HostService, type RunningHost } from './host.js';
import type { MetricFamily } from './metrics.js';
import { servicesFromConfig } from './services.js';

const hosts: RunningHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});

/** Every sample line of the exposition text, `name{labels}` → value. */
function seriesOf(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

async function radiusPort(host: RunningHost): Promise<number> {
  const health = (await (await fetch(new URL('/health', host.url))).json()) as {
    services: { name: string; port?: number }[];
  };
  return health.services.find((s) => s.name === 'radius')?.port ?? 0;
}

async function authenticate(port: number, secret: string): Promise<string> {
  const result = await runRadiusEapTest({
    servers: [{ address: '127.0.0.1', port, secret }],
    methods: [createMd5Method({ crypto: nodeCrypto })],
    identity: 'demo',
    password: 'demo',
    timeoutMs: 1000,
    retries: 1,
  });
  return result.outcome;
}

function radiusConfig(secret: string, radiusPortNumber = 0) {
  return validateHostConfig({
    http: { port: 0 },
    radius: {
      port: radiusPortNumber,
      clients: [
        { address: '127.0.0.0/8', secret },
        { address: '::1', secret },
      ],
    },
    capture: { rpc: { port: 0 } },
    synthetic: { enabled: false },
  });
}

async function snapshotOf(host: RunningHost): Promise<DashboardSnapshot> {
  return (await (
    await fetch(new URL('/api/dashboard/snapshot', host.url))
  ).json()) as DashboardSnapshot;
}

describe('netrx up: counters across a reload (review H1)', () => {
  it('a reload that restarts radius does not take its counters or the snapshot back', async () => {
    const first = radiusConfig('secret-one-12345');
    const host = await startHost(first, { version: '0', services: servicesFromConfig(first) });
    hosts.push(host);
    expect(await authenticate(await radiusPort(host), 'secret-one-12345')).toBe('success');
    const before = seriesOf(host.metrics());
    const snapshotBefore = await snapshotOf(host);
    expect(before.get('netrx_radius_requests_received_total')).toBeGreaterThan(0);
    expect(snapshotBefore.authentications.total).toBe(1);

    const next = radiusConfig('secret-two-12345');
    const result = await host.reload(next, servicesFromConfig(next));
    expect(result).toMatchObject({ ok: true, restarted: ['radius'] });
    const after = seriesOf(host.metrics());
    for (const [series, value] of before)
      if (series.startsWith('netrx_radius_') && series.includes('_total'))
        expect({ series, value: after.get(series) }).toEqual({ series, value });
    const snapshotAfter = await snapshotOf(host);
    expect(snapshotAfter.authentications.total).toBe(1);
    expect(snapshotAfter.authentications.recent).toEqual(snapshotBefore.authentications.recent);

    // The new instance counts on from the carried totals.
    expect(await authenticate(await radiusPort(host), 'secret-two-12345')).toBe('success');
    const later = seriesOf(host.metrics());
    const received = 'netrx_radius_requests_received_total';
    expect(later.get(received)).toBeGreaterThan(before.get(received) ?? Infinity);
    const snapshotLater = await snapshotOf(host);
    expect(snapshotLater.authentications.total).toBe(2);
    expect(snapshotLater.authentications.recent).toHaveLength(2);
  });

  it('a refused (rolled back) reload leaves the counters as they were', async () => {
    const first = radiusConfig('secret-one-12345');
    const host = await startHost(first, { version: '0', services: servicesFromConfig(first) });
    hosts.push(host);
    expect(await authenticate(await radiusPort(host), 'secret-one-12345')).toBe('success');
    const before = seriesOf(host.metrics());
    const totalBefore = (await snapshotOf(host)).authentications.total;
    const holder = createSocket('udp4');
    await new Promise<void>((resolve) => holder.bind(0, '127.0.0.1', resolve));
    try {
      const next = radiusConfig('secret-one-12345', holder.address().port);
      const result = await host.reload(next, servicesFromConfig(next));
      expect(result.ok).toBe(false);
    } finally {
      holder.close();
    }
    const after = seriesOf(host.metrics());
    for (const [series, value] of before)
      if (series.includes('_total{') || series.endsWith('_total'))
        // The reload itself writes trace events (netrx-host's service stopped and
        // restored), which the capture sessions' match counts listen to.
        if (!/^netrx_(http|reloads|trace)_/.test(series))
          expect({ series, value: after.get(series) }).toEqual({ series, value });
    expect((await snapshotOf(host)).authentications.total).toBe(totalBefore);
  });
});

/** A service with counters by label, started as `version`; `keeps`: its counts survive its own restart. */
interface FakeCounter extends HostService {
  add(label: string, n: number): void;
}

function fakeCounter(
  name: string,
  version: number,
  keeps: boolean,
  fails: boolean,
  live: Map<string, FakeCounter>,
): FakeCounter {
  let counts = new Map<string, number>();
  let requests = 0;
  const service: FakeCounter = {
    name,
    fingerprint: String(version),
    start() {
      if (fails) return Promise.reject(new Error('refused by the test'));
      if (!keeps) {
        counts = new Map();
        requests = 0;
      }
      live.set(name, service);
      return Promise.resolve(`${name} v${version}`);
    },
    stop: () => Promise.resolve(),
    status: () => ({}),
    add(label, n) {
      counts.set(label, (counts.get(label) ?? 0) + n);
      requests += n;
    },
    metrics: (): MetricFamily[] => [
      {
        name: 'netrx_test_requests_total',
        help: 'Requests.',
        type: 'counter',
        samples: [{ labels: { service: name }, value: requests }],
      },
      {
        // Series appear as labels are first counted (a vanished one is a staleness).
        name: 'netrx_test_results_total',
        help: 'Results by label.',
        type: 'counter',
        samples: [...counts].map(([label, value]) => ({
          labels: { service: name, result: label },
          value,
        })),
      },
      { name: 'netrx_test_open', help: 'A gauge.', type: 'gauge', samples: [{ value: 1 }] },
    ],
  };
  return service;
}

const NAMES = ['alpha', 'beta', 'gamma'] as const;
const step = fc.oneof(
  fc.record({
    kind: fc.constant('count' as const),
    service: fc.nat(NAMES.length - 1),
    label: fc.constantFrom('success', 'failure', 'timeout'),
    n: fc.integer({ min: 1, max: 5 }),
  }),
  fc.record({
    kind: fc.constant('reload' as const),
    // Which services get a new fingerprint (restart), and which of those fails to start.
    restart: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
    fail: fc.option(fc.nat(NAMES.length - 1), { nil: undefined }),
  }),
);

describe('netrx up: every counter series is monotonic (review H1, property)', () => {
  it('across increments, reloads and refused reloads', async () => {
    const config = validateHostConfig({ http: { port: 0 } });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
        fc.array(step, { maxLength: 14 }),
        async (keeps, steps) => {
          const live = new Map<string, FakeCounter>();
          const versions = NAMES.map(() => 0);
          const make = (i: number, fails = false) =>
            fakeCounter(NAMES[i] ?? '', versions[i] ?? 0, keeps[i] ?? false, fails, live);
          const host = await startHost(config, {
            version: '0',
            services: NAMES.map((_, i) => make(i)),
          });
          const expected = new Map<string, number>();
          const bump = (series: string, n: number) =>
            expected.set(series, (expected.get(series) ?? 0) + n);
          try {
            let seen = seriesOf(host.metrics());
            for (const s of steps) {
              if (s.kind === 'count') {
                const name = NAMES[s.service] ?? '';
                live.get(name)?.add(s.label, s.n);
                bump(`netrx_test_requests_total{service="${name}"}`, s.n);
                bump(`netrx_test_results_total{service="${name}",result="${s.label}"}`, s.n);
              } else {
                const wanted = NAMES.map((_, i) => {
                  if (s.restart[i] !== true) return live.get(NAMES[i] ?? '') ?? make(i);
                  versions[i] = (versions[i] ?? 0) + 1;
                  return make(i, s.fail === i);
                });
                await host.reload(config, wanted);
              }
              const now = seriesOf(host.metrics());
              for (const [series, value] of seen)
                if (series.startsWith('netrx_test_') && series.includes('_total'))
                  expect({ series, value: now.get(series) ?? -1 }).toEqual({
                    series,
                    value: Math.max(value, now.get(series) ?? -1),
                  });
              seen = now;
            }
            // And exactly what was counted, no more (a restored instance is not counted twice).
            for (const [series, value] of expected)
              expect({ series, value: seen.get(series) }).toEqual({ series, value });
          } finally {
            await host.stop();
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
