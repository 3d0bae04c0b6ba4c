import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WEBSOCKET_PROVIDER } from '../../websocket/index.js';
import { WebSocket } from '../websocket/index.js';
import { providerManifest } from './manifest.js';
import { validateHostConfig } from './config.js';
import { startHost, type HostService, type RunningHost } from './host.js';
import { servicesFromConfig } from './services.js';
import { STOP_GRACE_MS } from './websocket-service.js';

const hosts: RunningHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});

describe('netrx up: websocket.echo', () => {
  it('serves /ws/echo on the HTTP port with deflate, lists it in /health, and traces connections', async () => {
    const config = validateHostConfig({
      http: { port: 0 },
      radius: { port: 0 },
      capture: { rpc: { port: 0 } },
      // The synthetic peer's own echo round would be a second connection at times.
      synthetic: { websocket: false },
    });
    const host = await startHost(config, {
      version: '0.0.0',
      services: servicesFromConfig(config),
    });
    hosts.push(host);
    const events: string[] = [];
    host.trace.enable(WEBSOCKET_PROVIDER.guid, (e) => events.push(e.descriptor.name), {
      level: 5,
    });
    expect(host.started.map((s) => s.name)).toContain('websocket-echo');
    const url = new URL('/ws/echo', host.url.replace(/^http/, 'ws'));
    const client = new WebSocket(url);
    await new Promise((resolve) => client.once('open', resolve));
    expect(client.extensions).toContain('permessage-deflate');
    const echoed = new Promise<string>((resolve) =>
      client.once('message', (data: Buffer) => resolve(data.toString())),
    );
    client.send('through the host');
    expect(await echoed).toBe('through the host');
    const health = (await (await fetch(new URL('/health', host.url))).json()) as {
      services: { name: string; connections?: number }[];
    };
    expect(health.services.find((s) => s.name === 'websocket-echo')?.connections).toBe(1);
    const closed = new Promise((resolve) => client.once('close', resolve));
    client.close(1000);
    await closed;
    expect(events).toEqual(
      expect.arrayContaining([
        'ConnectionOpened',
        'MessageReceived',
        'MessageSent',
        'ConnectionClosed',
      ]),
    );
  });
});

describe('netrx up: websocket.echo speaks no subprotocol (review H3)', () => {
  // Since issue 8 the ws-like client fails that handshake as ws 8.23.0 does.
  it('a client offering a subprotocol (the capture one) gets none, so it cannot take the echo for its server', async () => {
    const config = validateHostConfig({
      http: { port: 0 },
      radius: { enabled: false },
      synthetic: { enabled: false },
      capture: { rpc: { port: 0 } },
    });
    const host = await startHost(config, {
      version: '0.0.0',
      services: servicesFromConfig(config),
    });
    hosts.push(host);
    const url = new URL('/ws/echo', host.url.replace(/^http/, 'ws'));
    const client = new WebSocket(url, ['netrx.lrec.v1']);
    const outcome = await new Promise<string>((resolve) => {
      client.once('open', () => resolve(`open with ${JSON.stringify(client.protocol)}`));
      client.once('error', (error: Error) => resolve(`error: ${error.message}`));
    });
    client.terminate();
    expect(outcome).toBe('error: Server sent no subprotocol');
  });
});

describe('netrx up: the WebSocket path before anyone connects (issue 17)', () => {
  async function startDefault(): Promise<RunningHost> {
    const config = validateHostConfig({
      http: { port: 0 },
      radius: { port: 0 },
      capture: { rpc: { port: 0 } },
    });
    const host = await startHost(config, {
      version: '0.0.0',
      services: servicesFromConfig(config),
    });
    hosts.push(host);
    return host;
  }

  it('GET / lists every route, /ws/echo included', async () => {
    const host = await startDefault();
    const root = (await (await fetch(host.url)).json()) as { routes: string[] };
    expect(root.routes).toEqual([
      '/health',
      '/',
      '/trace/providers',
      '/api/dashboard/snapshot',
      '/api/dashboard',
      '/metrics',
      '/api/capture.pcapng',
      '/capture',
      '/capture/viewer',
      '/ws/echo',
    ]);
  });

  it('a plain GET of /ws/echo answers 426 with a hint, not 404', async () => {
    const host = await startDefault();
    const response = await fetch(new URL('/ws/echo', host.url));
    expect(response.status).toBe(426);
    expect(response.headers.get('upgrade')).toBe('websocket');
    expect(response.headers.get('sec-websocket-version')).toBe('13');
    const body = (await response.json()) as { error: string; message: string };
    expect(body.error).toBe('upgrade-required');
    expect(body.message).toContain(`connect to ${host.url.replace(/^http/, 'ws')}ws/echo`);
    // A real upgrade on the same path still works after the plain request.
    const client = new WebSocket(new URL('/ws/echo', host.url.replace(/^http/, 'ws')));
    await new Promise((resolve) => client.once('open', resolve));
    client.terminate();
  });

  it('/trace/providers shows netrx-websocket from the start, before the first connection', async () => {
    const host = await startDefault();
    const providers = (await (await fetch(new URL('/trace/providers', host.url))).json()) as {
      name: string;
    }[];
    expect(providers.map((p) => p.name)).toEqual([
      'netrx-host',
      'Microsoft-Windows-NDIS-PacketCapture',
      'netrx-capture-ws',
      'netrx-capture-rpc',
      'netrx-radius',
      'netrx-websocket',
      'netrx-synthetic-peer',
      'netrx-link',
    ]);
    expect(host.started[0]).toEqual({
      name: 'trace',
      detail: `trace bus: 8 of ${providerManifest().length} provider(s) registered so far`,
    });
  });
});

describe('netrx up: stopping with a peer that never answers the close (issue 17)', () => {
  it('cuts the connection after the grace period, so the host stops within 2 s', async () => {
    const config = validateHostConfig({
      http: { port: 0 },
      radius: { port: 0 },
      capture: { rpc: { port: 0 } },
    });
    const host = await startHost(config, { version: '0', services: servicesFromConfig(config) });
    const { port } = new URL(host.url);
    const peer = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => peer.once('connect', resolve));
    peer.write(
      'GET /ws/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    // It reads the 101 and then nothing: the close frame gets no answer.
    await new Promise((resolve) => peer.once('data', resolve));
    peer.pause();
    const ended = new Promise((resolve) => peer.once('close', resolve));
    const started = performance.now();
    const outcome = await Promise.race([
      host.stop().then(() => 'stopped'),
      new Promise((resolve) => setTimeout(() => resolve('still stopping after 2 s'), 2000)),
    ]);
    expect(outcome).toBe('stopped');
    expect(performance.now() - started).toBeGreaterThanOrEqual(STOP_GRACE_MS - 50);
    peer.resume();
    await ended;
  });
});

describe('netrx up: stopping refuses new echo upgrades (review mutant M15)', () => {
  it('an upgrade arriving after the stop began, before the echo stopped, gets 503', async () => {
    const config = validateHostConfig({
      http: { port: 0 },
      radius: { enabled: false },
      synthetic: { enabled: false },
      capture: { rpc: { port: 0 } },
    });
    // Started last, so stopped first: it holds the stop between the drain and the echo's own stop.
    let release: () => void = () => {};
    let stopReached: () => void = () => {};
    const reached = new Promise<void>((resolve) => (stopReached = resolve));
    const blocker: HostService = {
      name: 'blocker',
      start: () => Promise.resolve('holds the stop'),
      stop: () =>
        new Promise<void>((resolve) => {
          release = resolve;
          stopReached();
        }),
      status: () => ({}),
    };
    const host = await startHost(config, {
      version: '0',
      services: [...servicesFromConfig(config), blocker],
    });
    const { port } = new URL(host.url);
    // Connected before the stop: the listener's close does not refuse it.
    const peer = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => peer.once('connect', resolve));
    const stopped = host.stop();
    await reached;
    const reply = new Promise<string>((resolve) =>
      peer.once('data', (data: Buffer) => resolve(data.toString('latin1'))),
    );
    peer.write(
      'GET /ws/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    const answer = await reply;
    release();
    await stopped;
    peer.destroy();
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 503 Service Unavailable');
  });
});

describe('netrx up: a reload of websocket.echo.keepAliveMs alone is applied in place (review L3)', () => {
  it('the open connection stays (no 1001) and is pinged on the new interval', async () => {
    const base = { http: { port: 0 }, radius: { port: 0 }, capture: { rpc: { port: 0 } } };
    const first = validateHostConfig(base);
    const host = await startHost(first, { version: '0', services: servicesFromConfig(first) });
    hosts.push(host);
    const client = new WebSocket(new URL('/ws/echo', host.url.replace(/^http/, 'ws')));
    await new Promise((resolve) => client.once('open', resolve));
    let closedWith: number | undefined;
    client.once('close', (code: number) => (closedWith = code));
    const next = validateHostConfig({ ...base, websocket: { echo: { keepAliveMs: 100 } } });
    const result = await host.reload(next, servicesFromConfig(next));
    // The default is 30 s: a ping within 10 s comes from the new interval.
    const pinged = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 10_000);
      client.once('ping', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    const closedBefore = closedWith;
    client.terminate();
    expect(result).toMatchObject({ ok: true, updated: ['websocket-echo'], restarted: [] });
    expect(closedBefore).toBeUndefined();
    expect(pinged).toBe(true);
  });

  it('turning keep-alive on (from 0) restarts the echo: its connections were built without one', async () => {
    const base = {
      http: { port: 0 },
      radius: { port: 0 },
      capture: { rpc: { port: 0 } },
      websocket: { echo: { keepAliveMs: 0 } },
    };
    const first = validateHostConfig(base);
    const host = await startHost(first, { version: '0', services: servicesFromConfig(first) });
    hosts.push(host);
    const next = validateHostConfig({ ...base, websocket: { echo: { keepAliveMs: 1000 } } });
    const result = await host.reload(next, servicesFromConfig(next));
    expect(result).toMatchObject({ ok: true, updated: [], restarted: ['websocket-echo'] });
  });
});
