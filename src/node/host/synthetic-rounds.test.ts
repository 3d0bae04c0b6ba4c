// Review M2: the embedded default fills every dashboard panel. Each
// synthetic round also opens one WebSocket to the host's echo (send, echo,
// close 1000) and runs one chat login script on an in-memory port pair, seen
// in /health, /metrics, the dashboard snapshot and the trace events the
// page folds. The login script itself runs on a VirtualClock in
// synthetic-port.test.ts; here the host runs on real loopback sockets.
import { afterEach, describe, expect, it } from 'vitest';
import { PORT_PROVIDER } from '../../port/index.js';
import { WEBSOCKET_PROVIDER } from '../../websocket/index.js';
import { validateHostConfig, type HostConfig } from './config.js';
import type { DashboardSnapshot } from './dashboard-snapshot.js';
import { startHost, type RunningHost } from './host.js';
import { servicesFromConfig } from './services.js';
import { SYNTHETIC_PORT_NAME } from './synthetic-port.js';

const hosts: RunningHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});

function config(synthetic: Record<string, unknown> = {}, more: Record<string, unknown> = {}) {
  return validateHostConfig({
    http: { port: 0 },
    radius: { port: 0 },
    capture: { rpc: { port: 0 } },
    synthetic: { intervalMs: 100, ...synthetic },
    ...more,
  });
}

interface ServiceHealth {
  name: string;
  rounds?: number;
  accepted?: number;
  closeCodes?: Record<string, number>;
  websocketRounds?: { ok: number; failed: number; lastFailure?: string };
  loginScripts?: { ok: number; failed: number; lastFailure?: string };
}

async function services(host: RunningHost): Promise<ServiceHealth[]> {
  const body = (await (await fetch(new URL('/health', host.url))).json()) as {
    services: ServiceHealth[];
  };
  return body.services;
}

async function start(wanted: HostConfig) {
  const host = await startHost(wanted, { version: '0', services: servicesFromConfig(wanted) });
  hosts.push(host);
  const events: string[] = [];
  for (const provider of [WEBSOCKET_PROVIDER, PORT_PROVIDER])
    host.trace.enable(provider.guid, (e) => events.push(`${provider.name} ${e.descriptor.name}`), {
      level: 5,
    });
  return { host, events };
}

/** The synthetic peer's /health entry once it has run `rounds` rounds. */
async function afterRounds(host: RunningHost, rounds: number): Promise<ServiceHealth> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const synthetic = (await services(host)).find((s) => s.name === 'synthetic');
    if ((synthetic?.rounds ?? 0) >= rounds || Date.now() > deadline) {
      if (synthetic === undefined) throw new Error('no synthetic service in /health');
      return synthetic;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('netrx up: the synthetic peer fills the WebSocket and Ports panels (review M2)', () => {
  it('each round opens one echo WebSocket (closed 1000) and runs one login script', async () => {
    const { host, events } = await start(config());
    expect(host.started.find((s) => s.name === 'synthetic')?.detail).toMatch(
      /, with a WebSocket to \/ws\/echo and a login script on synthetic-login$/,
    );
    const synthetic = await afterRounds(host, 3);
    expect(synthetic.websocketRounds).toMatchObject({ failed: 0 });
    expect(synthetic.websocketRounds?.ok).toBeGreaterThanOrEqual(3);
    expect(synthetic.loginScripts).toMatchObject({ failed: 0 });
    expect(synthetic.loginScripts?.ok).toBeGreaterThanOrEqual(3);
    const echo = (await services(host)).find((s) => s.name === 'websocket-echo');
    expect(echo?.accepted).toBeGreaterThanOrEqual(3);
    expect(echo?.closeCodes?.['1000']).toBeGreaterThanOrEqual(3);
    expect(Object.keys(echo?.closeCodes ?? {})).toEqual(['1000']);
    expect(events).toEqual(
      expect.arrayContaining([
        'netrx-websocket ConnectionOpened',
        'netrx-websocket ConnectionClosed',
        'netrx-port ScriptTranscript',
        'netrx-port ScriptFinished',
      ]),
    );
    const snapshot = (await (
      await fetch(new URL('/api/dashboard/snapshot', host.url))
    ).json()) as DashboardSnapshot;
    expect(snapshot.scripts).toContainEqual({ port: SYNTHETIC_PORT_NAME, result: 'exit 0' });
    expect(snapshot.websocket.accepted).toBeGreaterThanOrEqual(3);
    expect(snapshot.websocket.closeCodes['1000']).toBeGreaterThanOrEqual(3);
    const metrics = await (await fetch(new URL('/metrics', host.url))).text();
    expect(metrics).toMatch(/^netrx_synthetic_websocket_rounds_total\{result="ok"\} [1-9]/m);
    expect(metrics).toMatch(/^netrx_synthetic_login_scripts_total\{result="ok"\} [1-9]/m);
  });

  it('synthetic.websocket and synthetic.port false leave the echo and the ports alone', async () => {
    const { host, events } = await start(config({ websocket: false, port: false }));
    expect(host.started.find((s) => s.name === 'synthetic')?.detail).toMatch(/in turn\)$/);
    const synthetic = await afterRounds(host, 3);
    expect(synthetic.websocketRounds).toEqual({ ok: 0, failed: 0 });
    expect(synthetic.loginScripts).toEqual({ ok: 0, failed: 0 });
    expect((await services(host)).find((s) => s.name === 'websocket-echo')?.accepted).toBe(0);
    expect(events.filter((e) => e.startsWith('netrx-port'))).toEqual([]);
    const snapshot = (await (
      await fetch(new URL('/api/dashboard/snapshot', host.url))
    ).json()) as DashboardSnapshot;
    expect(snapshot.scripts).toEqual([]);
  });

  it('a reload that turns both off is taken in place: rounds go on, no more sockets or scripts', async () => {
    const { host } = await start(config());
    const before = await afterRounds(host, 2);
    const next = config({ websocket: false, port: false });
    const result = await host.reload(next, servicesFromConfig(next));
    expect(result).toMatchObject({ ok: true, restarted: [], updated: ['synthetic'] });
    // The round in flight at the reload may still have run both.
    const settled = await afterRounds(host, (before.rounds ?? 0) + 1);
    const later = await afterRounds(host, (settled.rounds ?? 0) + 2);
    expect(later.websocketRounds?.ok).toBe(settled.websocketRounds?.ok);
    expect(later.loginScripts?.ok).toBe(settled.loginScripts?.ok);
    expect(later.loginScripts?.ok).toBeGreaterThanOrEqual(2);
  });

  it('with the echo off there is no WebSocket round to run, and nothing fails', async () => {
    const { host } = await start(config({}, { websocket: { echo: { enabled: false } } }));
    const synthetic = await afterRounds(host, 2);
    expect(synthetic.websocketRounds).toEqual({ ok: 0, failed: 0 });
    expect(synthetic.loginScripts?.ok).toBeGreaterThanOrEqual(2);
  });
});
