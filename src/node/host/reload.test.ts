// A reload restarts only the services whose section changed: a WebSocket
// connection stays open (and echoes) across a reload that changes only the
// radius section's users, while the RADIUS server takes the new users in
// place (the synthetic peer, which finds the running radius at each round,
// keeps running: review D7). A change to http is refused as a whole.
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createMd5Method } from '../../eap/index.js';
import { runRadiusEapTest } from '../radius/index.js';
import { nodeCrypto } from '../runtime/index.js';
import { VirtualClock } from '../../testing/index.js';
import { validateHostConfig } from './config.js';
import { startHost, type HostService, type RunningHost } from './host.js';
import { planReload } from './reload.js';
import { servicesFromConfig } from './services.js';

const hosts: RunningHost[] = [];
// A built dashboard (the host is `ok` only with one: review M4).
const dashboardDir = mkdtempSync(join(tmpdir(), 'netrx-reload-'));
writeFileSync(join(dashboardDir, 'index.html'), '<!doctype html><title>t</title>');
afterAll(() => rmSync(dashboardDir, { recursive: true, force: true }));
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});

function configWith(users: { name: string; password: string }[]) {
  return validateHostConfig({
    http: { port: 0 },
    radius: { port: 0, users },
    capture: { rpc: { port: 0 } },
    synthetic: { intervalMs: 60_000 },
  });
}

async function radiusPort(host: RunningHost): Promise<number> {
  const health = (await (await fetch(new URL('/health', host.url))).json()) as {
    services: { name: string; port?: number }[];
  };
  return health.services.find((s) => s.name === 'radius')?.port ?? 0;
}

async function authenticate(port: number, name: string, password: string) {
  const result = await runRadiusEapTest({
    servers: [{ address: '127.0.0.1', port, secret: 'testing123' }],
    methods: [createMd5Method({ crypto: nodeCrypto })],
    identity: name,
    password,
    timeoutMs: 1000,
    retries: 1,
  });
  return result.outcome;
}

function echo(ws: WebSocket, text: string): Promise<string> {
  const got = new Promise<string>((resolve) =>
    ws.once('message', (data: Buffer) => resolve(data.toString())),
  );
  ws.send(text);
  return got;
}

describe('netrx up: reload', () => {
  it('keeps a WebSocket connection open across a reload that changes only radius', async () => {
    const first = configWith([{ name: 'demo', password: 'demo' }]);
    // The host's timers on a clock that does not move: the synthetic peer's
    // first round (250 ms after start) opens a WebSocket of its own to the
    // echo, so on the real clock a loaded machine could reach it while the
    // test reads `connections` and see 2 (CI failed so once). Its rounds
    // play no part here; it stays configured so the reload must keep it.
    const host = await startHost(first, {
      version: '0',
      services: servicesFromConfig(first),
      clock: new VirtualClock(0),
    });
    hosts.push(host);
    const ws = new WebSocket(new URL('/ws/echo', host.url.replace(/^http/, 'ws')));
    await new Promise((resolve) => ws.once('open', resolve));
    let closedWith: number | undefined;
    ws.once('close', (code) => (closedWith = code));
    expect(await echo(ws, 'before')).toBe('before');
    expect(await authenticate(await radiusPort(host), 'alice', 'wonderland')).toBe('failure');

    const next = configWith([
      { name: 'demo', password: 'demo' },
      { name: 'alice', password: 'wonderland' },
    ]);
    const result = await host.reload(next, servicesFromConfig(next));
    expect(result).toMatchObject({
      ok: true,
      kept: ['capture', 'websocket-echo', 'synthetic'],
      updated: ['radius'],
      restarted: [],
      started: [],
      stopped: [],
      failed: [],
    });
    // The connection was never closed and still echoes; the new user is known.
    expect(closedWith).toBeUndefined();
    expect(ws.readyState).toBe(WebSocket.OPEN);
    expect(await echo(ws, 'after')).toBe('after');
    expect(await authenticate(await radiusPort(host), 'alice', 'wonderland')).toBe('success');
    const health = (await (await fetch(new URL('/health', host.url))).json()) as {
      reloads: { applied: number };
      services: { name: string; connections?: number; rounds?: number }[];
    };
    expect(health.reloads.applied).toBe(1);
    // This test's connection alone: no synthetic round has run.
    expect(health.services.find((s) => s.name === 'synthetic')?.rounds).toBe(0);
    expect(health.services.find((s) => s.name === 'websocket-echo')?.connections).toBe(1);
    ws.terminate();
  });

  it('D1: a reload whose new radius port is taken rolls back to the old radius, counts refused, and /health says so', async () => {
    const taken = createSocket('udp4');
    await new Promise<void>((resolve) => taken.bind(0, '127.0.0.1', resolve));
    try {
      const free = createSocket('udp4');
      await new Promise<void>((resolve) => free.bind(0, '127.0.0.1', resolve));
      const oldPort = free.address().port;
      await new Promise<void>((resolve) => free.close(() => resolve()));
      const first = validateHostConfig({
        ...configWith([{ name: 'demo', password: 'demo' }]),
        radius: { port: oldPort },
      });
      const host = await startHost(first, {
        version: '0',
        services: servicesFromConfig(first),
        dashboardDir,
      });
      hosts.push(host);
      const next = validateHostConfig({
        ...first,
        radius: { ...first.radius, port: taken.address().port },
      });
      const result = await host.reload(next, servicesFromConfig(next));
      expect(result.ok).toBe(false);
      // Refused by the pre-flight before any service stopped (review H2).
      expect(result.error).toMatch(
        /^radius\.port: cannot listen on udp 127\.0\.0\.1:\d+: address already in use; nothing was restarted, kept the running configuration$/,
      );
      expect(result.failed.map((f) => f.name)).toEqual(['radius']);
      // The old server answers on its old port again.
      expect(await radiusPort(host)).toBe(oldPort);
      expect(await authenticate(oldPort, 'demo', 'demo')).toBe('success');
      const answer = await fetch(new URL('/health', host.url));
      expect(answer.status).toBe(200);
      const health = (await answer.json()) as {
        status: string;
        reloads: { applied: number; refused: number };
        lastFailedReload?: { failed: { name: string }[] };
        services: { name: string }[];
      };
      expect(health.status).toBe('ok');
      expect(health.reloads).toEqual({ applied: 0, refused: 1 });
      expect(health.lastFailedReload?.failed.map((f) => f.name)).toEqual(['radius']);
      expect(health.services.map((s) => s.name)).toContain('synthetic');
      expect(host.metrics()).toContain('netrx_reloads_total{result="refused"} 1');
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });

  it('D1: when the old service cannot come back either, /health is degraded (503) and names it', async () => {
    let starts = 0;
    const flaky = (fingerprint: string, fails: boolean): HostService => ({
      name: 'flaky',
      fingerprint,
      start: () => {
        starts++;
        return fails || starts > 1
          ? Promise.reject(new Error('port taken'))
          : Promise.resolve('up');
      },
      stop: () => Promise.resolve(),
      status: () => ({}),
    });
    const first = configWith([{ name: 'demo', password: 'demo' }]);
    const host = await startHost(first, { version: '0', services: [flaky('1', false)] });
    hosts.push(host);
    const result = await host.reload(first, [flaky('2', true)]);
    expect(result.ok).toBe(false);
    const answer = await fetch(new URL('/health', host.url));
    expect(answer.status).toBe(503);
    const health = (await answer.json()) as {
      status: string;
      services: { name: string; status: string; error?: string }[];
    };
    expect(health.status).toBe('degraded');
    expect(health.services.find((s) => s.name === 'flaky')).toEqual({
      name: 'flaky',
      status: 'failed',
      error: 'port taken',
    });
  });

  it('refuses a change to http as a whole and keeps running as before', async () => {
    const first = configWith([{ name: 'demo', password: 'demo' }]);
    const host = await startHost(first, { version: '0', services: servicesFromConfig(first) });
    hosts.push(host);
    const next = validateHostConfig({ ...first, http: { ...first.http, port: 1 } });
    const result = await host.reload(next, servicesFromConfig(next));
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/^http: changing the HTTP endpoint needs a restart/);
    expect(result.restarted).toEqual([]);
    expect((await fetch(new URL('/health', host.url))).status).toBe(200);
  });

  it('plans: same name and fingerprint kept; changed restarted with its dependents; gone stopped; new started', () => {
    const service = (name: string, fingerprint?: string, dependsOn?: string[]): HostService => ({
      name,
      ...(fingerprint === undefined ? {} : { fingerprint }),
      ...(dependsOn === undefined ? {} : { dependsOn }),
      start: () => Promise.resolve(''),
      stop: () => Promise.resolve(),
      status: () => ({}),
    });
    const running = [service('a', '1'), service('b', '1'), service('c', '1', ['b']), service('d')];
    const plan = planReload(running, [
      service('a', '1'),
      service('b', '2'),
      service('c', '1', ['b']),
      service('d'),
      service('e', '1'),
    ]);
    expect(plan.result).toEqual({
      kept: ['a'],
      updated: [],
      restarted: ['b', 'c', 'd'],
      stopped: [],
      started: ['e'],
    });
    expect(plan.keep).toEqual([running[0]]);
    expect(planReload(running, [running[0]!]).result.stopped).toEqual(['b', 'c', 'd']);
  });

  it('plans: a changed service that can take the change in place is updated, its dependents kept; the update waits for the host', () => {
    const applied: string[] = [];
    const service = (
      name: string,
      fingerprint: string,
      options: { dependsOn?: string[]; inPlace?: boolean } = {},
    ): HostService => ({
      name,
      fingerprint,
      ...(options.dependsOn === undefined ? {} : { dependsOn: options.dependsOn }),
      ...(options.inPlace === true
        ? {
            updateInPlace: (next: HostService) => () => {
              applied.push(`${name}:${next.fingerprint}`);
            },
          }
        : {}),
      start: () => Promise.resolve(''),
      stop: () => Promise.resolve(),
      status: () => ({}),
    });
    const running = [service('a', '1', { inPlace: true }), service('b', '1', { dependsOn: ['a'] })];
    const plan = planReload(running, [service('a', '2'), service('b', '1', { dependsOn: ['a'] })]);
    expect(plan.result).toEqual({
      kept: ['b'],
      updated: ['a'],
      restarted: [],
      stopped: [],
      started: [],
    });
    expect(plan.next).toEqual(running);
    expect(applied).toEqual([]);
    for (const [, update] of plan.updates) void update();
    expect(applied).toEqual(['a:2']);
    // A dependency that restarts still restarts its dependents, updatable or not.
    const chain = [service('x', '1'), service('y', '1', { dependsOn: ['x'], inPlace: true })];
    const restart = planReload(chain, [service('x', '2'), service('y', '2', { dependsOn: ['x'] })]);
    expect(restart.result).toMatchObject({ updated: [], restarted: ['x', 'y'] });
    expect(restart.updates).toEqual([]);
  });
});

describe('netrx up: reload in place (review L3)', () => {
  it('a new synthetic.intervalMs alone is applied in place: its adapters keep counting', async () => {
    const at = (intervalMs: number) =>
      validateHostConfig({
        http: { port: 0 },
        radius: { port: 0 },
        capture: { rpc: { port: 0 } },
        synthetic: { intervalMs },
      });
    const first = at(100);
    const host = await startHost(first, { version: '0', services: servicesFromConfig(first) });
    hosts.push(host);
    const accepted = () =>
      Number(
        /netrx_link_frames_accepted_total\{adapter="synthetic-a"\} (\d+)/.exec(
          host.metrics(),
        )?.[1] ?? 0,
      );
    await expect.poll(accepted, { timeout: 10_000 }).toBeGreaterThan(0);
    const before = accepted();
    const next = at(60_000);
    const result = await host.reload(next, servicesFromConfig(next));
    expect(result).toMatchObject({ ok: true, restarted: [], updated: ['synthetic'] });
    const health = (await (await fetch(new URL('/health', host.url))).json()) as {
      services: { name: string; intervalMs?: number }[];
    };
    expect(health.services.find((s) => s.name === 'synthetic')?.intervalMs).toBe(60_000);
    expect(accepted()).toBeGreaterThanOrEqual(before);
    // The same again is kept (its fingerprint is the new configuration's now).
    expect(await host.reload(next, servicesFromConfig(next))).toMatchObject({
      ok: true,
      kept: expect.arrayContaining(['synthetic']) as string[],
      updated: [],
    });
  });
});
