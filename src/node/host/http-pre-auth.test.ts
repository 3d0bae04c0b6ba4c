// The host's HTTP server (where /capture and /capture/viewer live): one
// deadline from TCP accept to the first request or an authorized upgrade,
// TLS included; and the capture endpoint's caps as `netrx up` configures them.
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../testing/index.js';
import { TraceRegistry } from '../../trace/index.js';
import { createDemoCertificates } from '../certs/index.js';
import { systemClock } from '../runtime/index.js';
import { validateHostConfig } from './config.js';
import { startHost, type RunningHost } from './host.js';
import { HttpStatusServer } from './http-status.js';
import { servicesFromConfig } from './services.js';

async function until(condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function raw(port: number) {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  const state = { text: '', closed: false, socket };
  socket.on('data', (chunk: Buffer) => (state.text += chunk.toString('latin1')));
  socket.on('close', () => (state.closed = true));
  return state;
}

const servers: HttpStatusServer[] = [];
const hosts: RunningHost[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});

describe('host HTTP server: the pre-auth deadline', () => {
  it('cuts a client that opens TCP and never starts TLS (Node alone waits 120 s)', async () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const certs = createDemoCertificates();
    const server = new HttpStatusServer({
      host: '127.0.0.1',
      port: 0,
      trace: new TraceRegistry({ clock: systemClock }).register({
        guid: '00000000-0000-4000-8000-000000000001',
        name: 'test-host',
      }),
      tls: { cert: certs.server.certPem, key: certs.server.keyPem },
      clock,
      preAuthTimeoutMs: 5_000,
    });
    servers.push(server);
    server.route('/health', () => ({ ok: true }));
    const { port } = await server.listen();
    const silent = raw(port);
    await until(() => server.preAuth === 1);
    clock.advance(4_999);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(silent.closed).toBe(false);
    clock.advance(1);
    await until(() => silent.closed);
    expect(server.preAuthTimeouts).toBe(1);
    expect(server.preAuth).toBe(0);
  });

  it('a plain client whose request arrived is not cut by it', async () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const server = new HttpStatusServer({
      host: '127.0.0.1',
      port: 0,
      trace: new TraceRegistry({ clock: systemClock }).register({
        guid: '00000000-0000-4000-8000-000000000001',
        name: 'test-host',
      }),
      clock,
      preAuthTimeoutMs: 5_000,
    });
    servers.push(server);
    server.route('/health', () => ({ ok: true }));
    const { port } = await server.listen();
    const client = raw(port);
    client.socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await until(() => client.text.includes('"ok":true'));
    expect(server.preAuth).toBe(0);
    clock.advance(60_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(client.closed).toBe(false);
    expect(server.preAuthTimeouts).toBe(0);
    client.socket.destroy();
  });
});

function upgradeRequest(port: number, path: string, extra: string[] = []): string {
  return [
    `GET ${path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version: 13',
    ...extra,
    '',
    '',
  ].join('\r\n');
}

function plainServer(clock: VirtualClock) {
  const server = new HttpStatusServer({
    host: '127.0.0.1',
    port: 0,
    trace: new TraceRegistry({ clock: systemClock }).register({
      guid: '00000000-0000-4000-8000-000000000001',
      name: 'test-host',
    }),
    clock,
    preAuthTimeoutMs: 5_000,
  });
  servers.push(server);
  // A route that answers 101 and keeps the socket, as the capture endpoint does.
  server.upgrade('/live', (_request, socket) => {
    socket.on('end', () => socket.destroy()).resume();
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
    );
  });
  server.upgrade('/own', () => undefined, { sameOrigin: true });
  return server;
}

describe('host HTTP server: upgrades and the pre-auth deadline', () => {
  it('an authorized upgrade outlives the pre-auth deadline (M23)', async () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const server = plainServer(clock);
    const { port } = await server.listen();
    const live = raw(port);
    live.socket.write(upgradeRequest(port, '/live'));
    await until(() => live.text.includes('\r\n\r\n'));
    expect(live.text).toMatch(/^HTTP\/1\.1 101 /);
    expect(server.preAuth).toBe(0);
    clock.advance(60_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(live.closed).toBe(false);
    expect(server.preAuthTimeouts).toBe(0);
    live.socket.destroy();
  });

  it('an authorized upgrade answered 404 or 403 (foreign Origin) is destroyed though the peer keeps its half open', async () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const server = plainServer(clock);
    const { port } = await server.listen();
    const peers = [
      upgradeRequest(port, '/nothing'),
      upgradeRequest(port, '/own', ['Origin: http://evil.example']),
    ].map((request) => {
      const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
      socket.on('error', () => undefined);
      const state = { text: '', socket };
      socket.on('data', (chunk: Buffer) => (state.text += chunk.toString('latin1')));
      socket.write(request);
      return state;
    });
    await until(() => peers.every((p) => p.text.includes('\r\n\r\n')));
    expect(peers.map((p) => p.text.split('\r\n')[0])).toEqual([
      'HTTP/1.1 404 Not Found',
      'HTTP/1.1 403 Forbidden',
    ]);
    // Neither is under the pre-auth deadline any more: only the destroy lets go.
    await until(() => server.connections.stats().open === 0, 5_000);
    for (const peer of peers) peer.socket.destroy();
  });
});

describe('netrx up: capture.ws', () => {
  it('the per-address count is released on close: 20 sequential /capture connections from one address all get 101 (M10)', async () => {
    const config = validateHostConfig({
      http: { port: 0 },
      radius: { port: 0 },
      capture: { rpc: { port: 0 } },
    });
    const host = await startHost(config, { version: '0', services: servicesFromConfig(config) });
    hosts.push(host);
    const port = Number(new URL(host.url).port);
    for (let i = 0; i < 20; i++) {
      const peer = raw(port);
      peer.socket.write(
        upgradeRequest(port, '/capture', ['Sec-WebSocket-Protocol: netrx.lrec.v1']),
      );
      await until(() => peer.text.includes('\r\n\r\n'));
      expect(peer.text.split('\r\n')[0]).toBe('HTTP/1.1 101 Switching Protocols');
      // A masked close frame (no payload): the server answers and closes its side.
      peer.socket.write(Uint8Array.of(0x88, 0x80, 1, 2, 3, 4));
      await until(() => peer.closed);
    }
  });

  it('a pong deadline not shorter than the ping interval is refused at start (M7)', async () => {
    const config = validateHostConfig({
      http: { port: 0 },
      radius: { port: 0 },
      capture: { rpc: { port: 0 }, ws: { keepAliveIntervalMs: 1000, keepAliveTimeoutMs: 1000 } },
    });
    await expect(
      startHost(config, { version: '0', services: servicesFromConfig(config) }),
    ).rejects.toMatchObject({ code: 'ERR_CAPTURE_WS_KEEPALIVE' });
  });

  it('maxConnectionsPerAddress: one more /capture upgrade from the address gets 429', async () => {
    const config = validateHostConfig({
      http: { port: 0 },
      radius: { port: 0 },
      capture: { rpc: { port: 0 }, ws: { maxConnectionsPerAddress: 1 } },
    });
    const host = await startHost(config, { version: '0', services: servicesFromConfig(config) });
    hosts.push(host);
    const { port } = new URL(host.url);
    const upgrade = (peer: ReturnType<typeof raw>) =>
      peer.socket.write(
        [
          'GET /capture HTTP/1.1',
          `Host: 127.0.0.1:${port}`,
          'Upgrade: websocket',
          'Connection: Upgrade',
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
          'Sec-WebSocket-Version: 13',
          'Sec-WebSocket-Protocol: netrx.lrec.v1',
          '',
          '',
        ].join('\r\n'),
      );
    const first = raw(Number(port));
    upgrade(first);
    await until(() => first.text.includes('\r\n\r\n'));
    expect(first.text).toMatch(/^HTTP\/1\.1 101 /);
    const second = raw(Number(port));
    upgrade(second);
    await until(() => second.closed);
    expect(second.text).toMatch(/^HTTP\/1\.1 429 Too Many Requests\r\n/);
    first.socket.destroy();
  });
});
