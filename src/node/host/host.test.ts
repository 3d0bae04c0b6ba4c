import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startHost, type HostService, type RunningHost } from './host.js';
import { defaultHostConfig, type HostConfig } from './config.js';
import { VirtualClock } from '../../testing/index.js';

const hosts: RunningHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});

function config(overrides: Partial<HostConfig['http']> = {}): HostConfig {
  const base = defaultHostConfig();
  return { ...base, http: { ...base.http, port: 0, ...overrides } };
}

// A built dashboard (the host is `ok` only with one: review M4).
const dashboardDir = mkdtempSync(join(tmpdir(), 'netrx-host-'));
writeFileSync(join(dashboardDir, 'index.html'), '<!doctype html><title>t</title>');
afterAll(() => rmSync(dashboardDir, { recursive: true, force: true }));

async function start(cfg = config(), services: HostService[] = [], log?: (line: string) => void) {
  const host = await startHost(cfg, {
    version: '9.9.9',
    services,
    dashboardDir,
    clock: new VirtualClock(0),
    ...(log ? { log } : {}),
  });
  hosts.push(host);
  return host;
}

describe('netrx up host', () => {
  it('answers GET /health with JSON naming its services', async () => {
    const host = await start();
    const response = await fetch(new URL('/health', host.url));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const body = (await response.json()) as {
      status: string;
      version: string;
      services: { name: string }[];
    };
    expect(body.status).toBe('ok');
    expect(body.version).toBe('9.9.9');
    expect(body.services.map((s) => s.name)).toEqual(['trace', 'http', 'dashboard']);
  });

  it('answers HEAD, refuses other methods with 405, unknown paths with 404', async () => {
    const host = await start();
    const head = await fetch(new URL('/health', host.url), { method: 'HEAD' });
    expect(head.status).toBe(200);
    const post = await fetch(new URL('/health', host.url), { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const missing = await fetch(new URL('/nope?x=1', host.url));
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'not-found' });
  });

  it('lists trace providers, and traces its own requests', async () => {
    const host = await start();
    const seen: string[] = [];
    host.trace.enable('netrx-host', (event) => seen.push(event.descriptor.name));
    const providers = (await (await fetch(new URL('/trace/providers', host.url))).json()) as {
      name: string;
    }[];
    expect(providers.map((p) => p.name)).toEqual([
      'netrx-host',
      'Microsoft-Windows-NDIS-PacketCapture',
    ]);
    expect(seen).toContain('HttpRequest');
  });

  it('starts services, shows them in /health, and stops them in reverse order', async () => {
    const order: string[] = [];
    const service = (name: string): HostService => ({
      name,
      start: () => {
        order.push(`start ${name}`);
        return Promise.resolve(`${name} ready`);
      },
      stop: () => {
        order.push(`stop ${name}`);
        return Promise.resolve();
      },
      status: () => ({ detail: name }),
    });
    const host = await start(config(), [service('a'), service('b')]);
    expect(host.started.map((s) => s.name)).toEqual(['trace', 'http', 'dashboard', 'a', 'b']);
    const health = (await (await fetch(new URL('/health', host.url))).json()) as {
      services: { name: string }[];
    };
    expect(health.services.map((s) => s.name)).toEqual(['trace', 'http', 'dashboard', 'a', 'b']);
    await host.stop();
    await host.stop();
    expect(order).toEqual(['start a', 'start b', 'stop b', 'stop a']);
  });

  it('a reload asked for while the host stops is refused and starts nothing (review T2 #4)', async () => {
    const started: string[] = [];
    const service = (name: string, fingerprint: string): HostService => ({
      name,
      fingerprint,
      start: () => {
        started.push(`${name}@${fingerprint}`);
        return Promise.resolve(name);
      },
      stop: () => Promise.resolve(),
      status: () => ({}),
    });
    const host = await start(config(), [service('a', '1')]);
    const stopped = host.stop();
    const result = await host.reload(config(), [service('a', '2')]);
    await stopped;
    expect(result).toMatchObject({ ok: false, error: 'the host is stopping' });
    expect(started).toEqual(['a@1']);
  });

  it('is up whole or not at all: a failing service stops the ones before it', async () => {
    const order: string[] = [];
    const good: HostService = {
      name: 'good',
      start: () => Promise.resolve('ok'),
      stop: () => {
        order.push('stop good');
        return Promise.resolve();
      },
      status: () => ({}),
    };
    const bad: HostService = {
      ...good,
      name: 'bad',
      start: () => Promise.reject(new Error('no radio')),
    };
    await expect(startHost(config(), { version: '1', services: [good, bad] })).rejects.toThrow(
      'no radio',
    );
    expect(order).toEqual(['stop good']);
  });

  it('fails with one line when the port is taken', async () => {
    const first = await start();
    const port = Number(new URL(first.url).port);
    await expect(start(config({ port }))).rejects.toThrow(
      `http.port: cannot listen on tcp 127.0.0.1:${port}: address already in use`,
    );
  });

  it('prints trace events to the log when trace.console is on', async () => {
    const lines: string[] = [];
    const base = config();
    const host = await start({ ...base, trace: { console: true, level: 5 } }, [], (line) =>
      lines.push(line),
    );
    await fetch(new URL('/health', host.url));
    expect(lines.some((line) => line.includes('netrx-host/HttpRequest'))).toBe(true);
  });
});
