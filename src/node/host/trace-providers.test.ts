// Review L4: "trace bus: N of M provider(s) registered so far" (the startup
// line and the dashboard's Services panel), /health's trace entry and
// /metrics say the same N, also after a service registered a provider once
// running; M is the manifest the dashboard's provider filter lists.
import { afterEach, describe, expect, it } from 'vitest';
import { validateHostConfig } from './config.js';
import { startHost, type HostService, type RunningHost } from './host.js';
import { servicesFromConfig } from './services.js';

const hosts: RunningHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});

/** A service that registers a provider of its own only after it started (a later round). */
function lateProvider(): HostService & { register(): void } {
  let register = () => {};
  return {
    name: 'late',
    start(context) {
      register = () => {
        context.trace.register({ guid: '0badcafe-0000-4000-8000-000000000001', name: 'late' });
      };
      return Promise.resolve('registers a provider later');
    },
    stop: () => Promise.resolve(),
    status: () => ({}),
    register: () => register(),
  };
}

describe('netrx up: the trace provider count (review L4)', () => {
  it('is one number in the started line, /api/dashboard, /health and /metrics', async () => {
    const config = validateHostConfig({
      http: { port: 0 },
      radius: { port: 0 },
      capture: { rpc: { port: 0 } },
      synthetic: { enabled: false },
    });
    const late = lateProvider();
    const host = await startHost(config, {
      version: '0',
      services: [...servicesFromConfig(config), late],
    });
    hosts.push(host);
    const counts = async () => {
      const health = (await (await fetch(new URL('/health', host.url))).json()) as {
        services: { name: string; providers?: number }[];
      };
      const info = (await (await fetch(new URL('/api/dashboard', host.url))).json()) as {
        services: { name: string; address: string }[];
        providers: unknown[];
      };
      const metrics = await (await fetch(new URL('/metrics', host.url))).text();
      const line = (detail: string | undefined) =>
        Number(/^trace bus: (\d+) of \d+ provider/.exec(detail ?? '')?.[1]);
      // "of N": the providers the host may carry, as many as the dashboard's filter lists.
      const known = (detail: string | undefined) =>
        Number(/ of (\d+) provider\(s\) registered so far$/.exec(detail ?? '')?.[1]);
      expect(known(host.started.find((s) => s.name === 'trace')?.detail)).toBe(
        info.providers.length,
      );
      expect(known(info.services.find((s) => s.name === 'trace')?.address)).toBe(
        info.providers.length,
      );
      return {
        started: line(host.started.find((s) => s.name === 'trace')?.detail),
        dashboard: line(info.services.find((s) => s.name === 'trace')?.address),
        health: health.services.find((s) => s.name === 'trace')?.providers,
        metrics: Number(/^netrx_trace_providers (\d+)$/m.exec(metrics)?.[1]),
      };
    };
    const before = await counts();
    expect(before.started).toBeGreaterThan(0);
    expect(before).toEqual({
      started: before.started,
      dashboard: before.started,
      health: before.started,
      metrics: before.started,
    });
    late.register();
    const n = before.started + 1;
    expect(await counts()).toEqual({ started: n, dashboard: n, health: n, metrics: n });
  });
});
