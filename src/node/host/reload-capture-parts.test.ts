// Issue 14: a reload changes each part of `capture` on its own. A change of
// `capture.ws` (limits, keep-alive) applies in place; a change of
// `capture.rpc` rebinds the RPC listener only (the old one stops accepting,
// its sessions go on until their clients leave); neither drops a dashboard
// viewer, a /capture client or an RPC session on what it does not touch.
// Before, any of them restarted the whole capture service.
import { connect, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LREC_WS_SUBPROTOCOL } from '../../capture/index.js';
import { VirtualClock } from '../../testing/index.js';
import { defineEvent, TraceLevel } from '../../trace/index.js';
import { parseEventBuffer } from '../../wire/index.js';
import { connectLrecTcp, connectLrecWs } from '../capture/index.js';
import { validateHostConfig, type HostConfig } from './config.js';
import { startHost, type RunningHost } from './host.js';
import { servicesFromConfig } from './services.js';

const hosts: RunningHost[] = [];
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});

const GENERATOR = { guid: '0d7e57ed-0000-4000-8000-0000000014d1', name: 'netrx-test-host-d' };
const Generated = defineEvent({
  id: 1,
  name: 'Generated',
  level: TraceLevel.Information,
  keywords: 0x1n,
  fields: [{ name: 'n', type: 'u32' }],
});

function hostConfig(capture: Record<string, unknown> = {}): HostConfig {
  return validateHostConfig({
    http: { port: 0 },
    radius: { enabled: false },
    websocket: { echo: { enabled: false } },
    capture: {
      rpc: { port: 0 },
      sessions: [
        { name: 'default', providers: [GENERATOR.guid], queueEvents: 256 },
        { name: 'tail', providers: [GENERATOR.guid], queueEvents: 256 },
      ],
      ...capture,
    },
    synthetic: { enabled: false },
  });
}

interface CaptureHealth {
  rpc: { enabled: boolean; host?: string; port?: number; retiringConnections: number };
  sessions: { name: string; open: boolean }[];
}

async function captureHealth(host: RunningHost): Promise<CaptureHealth> {
  const health = (await (await fetch(new URL('/health', host.url))).json()) as {
    services: ({ name: string } & CaptureHealth)[];
  };
  const capture = health.services.find((s) => s.name === 'capture');
  if (capture === undefined) throw new Error('no capture service');
  return capture;
}

/** Reads until `count` events are accounted for (delivered or lost). */
async function drain(receive: () => Promise<Uint8Array>, count: number) {
  const seen = { delivered: 0, lost: 0 };
  while (seen.delivered + seen.lost < count) {
    const items = parseEventBuffer(await receive());
    if (!items.ok) throw new Error(items.failure.message);
    for (const item of items.value) {
      if (item.kind === 'event') seen.delivered++;
      else if (item.kind === 'lost') seen.lost += item.lostEventCount;
    }
  }
  return seen;
}

async function readers(host: RunningHost) {
  const ws = host.url.replace(/^http/, 'ws');
  const viewer = await connectLrecWs({ url: `${ws}capture/viewer` });
  const shared = await connectLrecWs({ url: `${ws}capture` });
  const rpcPort = (await captureHealth(host)).rpc.port ?? 0;
  const rpc = await connectLrecTcp({ host: '127.0.0.1', port: rpcPort });
  cleanups.push(
    () => viewer.end(),
    () => shared.end(),
    () => rpc.end(),
  );
  const viewerHandle = await viewer.open('tail');
  const sharedHandle = await shared.open('default');
  const rpcHandle = await rpc.open('tail');
  return {
    rpcPort,
    viewer: () => viewer.receive(viewerHandle),
    shared: () => shared.receive(sharedHandle),
    rpc: () => rpc.receive(rpcHandle),
  };
}

function emit(host: RunningHost, from: number, to: number) {
  const generator = host.trace.register(GENERATOR);
  for (let n = from; n < to; n++) generator.emit(Generated, { n });
}

describe('netrx up: a capture reload touches only the part that changed (issue 14)', () => {
  it('capture.ws changes in place: a viewer, a /capture client and an RPC session stay connected and lose nothing', async () => {
    const host = await startHost(hostConfig(), {
      version: '0',
      services: servicesFromConfig(hostConfig()),
    });
    hosts.push(host);
    const read = await readers(host);
    emit(host, 0, 40);
    for (const receive of [read.viewer, read.shared, read.rpc])
      expect(await drain(receive, 40)).toEqual({ delivered: 40, lost: 0 });
    const next = hostConfig({
      ws: { maxConnectionsPerAddress: 4, keepAliveIntervalMs: 20_000, keepAliveTimeoutMs: 5000 },
    });
    expect(await host.reload(next, servicesFromConfig(next))).toMatchObject({
      ok: true,
      updated: ['capture'],
      restarted: [],
    });
    emit(host, 40, 100);
    for (const receive of [read.viewer, read.shared, read.rpc])
      expect(await drain(receive, 60)).toEqual({ delivered: 60, lost: 0 });
    const health = await captureHealth(host);
    expect(health.rpc.port).toBe(read.rpcPort);
    expect(health.sessions.filter((s) => s.open).map((s) => s.name)).toEqual(['default', 'tail']);
  });

  it('capture.rpc rebinds the listener only: the old session finishes on the old one, viewers stay, the new address serves', async () => {
    const host = await startHost(hostConfig(), {
      version: '0',
      services: servicesFromConfig(hostConfig()),
    });
    hosts.push(host);
    const read = await readers(host);
    emit(host, 0, 30);
    for (const receive of [read.viewer, read.shared, read.rpc]) await drain(receive, 30);
    const next = hostConfig({ rpc: { host: '127.0.0.2', port: 0 } });
    expect(await host.reload(next, servicesFromConfig(next))).toMatchObject({
      ok: true,
      updated: ['capture'],
      restarted: [],
    });
    const health = await captureHealth(host);
    expect(health.rpc).toMatchObject({ enabled: true, host: '127.0.0.2', retiringConnections: 1 });
    // Events after the reload reach every reader, the RPC session on the old listener included.
    emit(host, 30, 80);
    for (const receive of [read.viewer, read.shared, read.rpc])
      expect(await drain(receive, 50)).toEqual({ delivered: 50, lost: 0 });
    // The old address takes no one new; the new one does (tail is still the old client's).
    await expect(connectLrecTcp({ host: '127.0.0.1', port: read.rpcPort })).rejects.toThrow();
    const moved = await connectLrecTcp({ host: '127.0.0.2', port: health.rpc.port ?? 0 });
    cleanups.push(() => moved.end());
    await expect(moved.open('tail')).rejects.toThrow(/BUSY|already open/i);
  });

  it('an RPC port that is taken fails the capture update as a whole (nothing of it changes): the old listener and its session go on; the same file applies once the port is free', async () => {
    const host = await startHost(hostConfig(), {
      version: '0',
      services: servicesFromConfig(hostConfig()),
    });
    hosts.push(host);
    const read = await readers(host);
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => {
      if (taken.listening) taken.close();
    });
    const port = (taken.address() as { port: number }).port;
    const next = hostConfig({
      rpc: { port },
      ws: { keepAliveIntervalMs: 20_000, keepAliveTimeoutMs: 5000 },
    });
    const result = await host.reload(next, servicesFromConfig(next));
    expect(result).toMatchObject({ ok: false, updated: [], failed: [{ name: 'capture' }] });
    expect(result.failed[0]?.error).toMatch(/capture\.rpc\.port/);
    expect((await captureHealth(host)).rpc).toMatchObject({
      port: read.rpcPort,
      retiringConnections: 0,
    });
    emit(host, 0, 10);
    for (const receive of [read.viewer, read.shared, read.rpc])
      expect(await drain(receive, 10)).toEqual({ delivered: 10, lost: 0 });
    // The service kept its configuration, so the same file is tried again once the port is free.
    await new Promise((resolve) => taken.close(resolve));
    expect(await host.reload(next, servicesFromConfig(next))).toMatchObject({
      ok: true,
      updated: ['capture'],
    });
    expect((await captureHealth(host)).rpc.port).toBe(port);
  });

  it('a new keep-alive re-arms the open /capture connections at once; nothing is dropped by the reload itself', async () => {
    const clock = new VirtualClock(0);
    const first = hostConfig({ rpc: { enabled: false } });
    const host = await startHost(first, {
      version: '0',
      services: servicesFromConfig(first),
      clock,
    });
    hosts.push(host);
    const port = Number(new URL(host.url).port);
    // A client that completes the upgrade and never answers a ping.
    const silent = await new Promise<{ socket: Socket; closed: () => boolean }>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      let closed = false;
      let text = '';
      socket.on('error', () => undefined);
      socket.on('close', () => (closed = true));
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
        if (text.includes('\r\n\r\n')) resolve({ socket, closed: () => closed });
      });
      socket.write(
        [
          'GET /capture HTTP/1.1',
          `Host: 127.0.0.1:${port}`,
          'Upgrade: websocket',
          'Connection: Upgrade',
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
          'Sec-WebSocket-Version: 13',
          `Sec-WebSocket-Protocol: ${LREC_WS_SUBPROTOCOL}`,
          '',
          '',
        ].join('\r\n'),
      );
    });
    cleanups.push(() => silent.socket.destroy());
    const next = hostConfig({
      rpc: { enabled: false },
      ws: { keepAliveIntervalMs: 1000, keepAliveTimeoutMs: 500 },
    });
    expect(await host.reload(next, servicesFromConfig(next))).toMatchObject({
      ok: true,
      updated: ['capture'],
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(silent.closed()).toBe(false);
    // The old interval (30 s) would not ping for 29 s more; the new one pings at 1 s.
    clock.advance(1000);
    clock.advance(500);
    await expect.poll(() => silent.closed()).toBe(true);
    const health = (await captureHealth(host)) as unknown as {
      websocket: { keepAliveTimeouts: number };
    };
    expect(health.websocket.keepAliveTimeouts).toBe(1);
  });
});
