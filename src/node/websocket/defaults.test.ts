/**
 * The documented defaults (docs/websocket.md "Bounds" and the option lists),
 * each asserted (outside review 3, finding 8 / mutant M9: `closeTimeout`
 * 30 s could become 3 s and no test noticed). Where a default is a time,
 * a fake clock checks the behaviour; the rest read the resolved value.
 */
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WS from 'ws';
import type { WebSocket } from './index.js';
import { WebSocket as NetrxWebSocket, WebSocketServer } from './index.js';
import { DEFAULT_BACKPRESSURE_ABOVE, DEFAULT_MAX_BACKPRESSURE } from './options.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const c of cleanups.splice(0).reverse()) await c();
});

const UPGRADE =
  'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

async function defaultServer(
  options: ConstructorParameters<typeof WebSocketServer>[0] = {},
): Promise<{ wss: WebSocketServer; port: number }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  await new Promise((resolve) => wss.once('listening', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  );
  return { wss, port: (wss.address() as AddressInfo).port };
}

/** A raw client that upgrades, then never sends or answers anything. */
async function silentClient(port: number): Promise<Socket> {
  const socket = connect({ port, host: '127.0.0.1' });
  socket.on('error', () => undefined);
  cleanups.push(() => void socket.destroy());
  socket.write(UPGRADE);
  await new Promise<void>((resolve) => {
    let head = '';
    socket.on('data', (d: Buffer) => {
      head += d.toString('latin1');
      if (head.includes('\r\n\r\n')) resolve();
    });
  });
  return socket;
}

/** Private resolved values, read the way the code reads them. */
function resolved(ws: WebSocket): Record<string, unknown> {
  const self = ws as unknown as Record<string, unknown>;
  const transport = self['transport'] as Record<string, unknown>;
  return {
    backpressureAbove: self['backpressureAbove'],
    maxBackpressure: self['maxBackpressure'],
    readPauseAbove: transport['readPauseAbove'],
    closeTimeout: transport['closeTimeout'],
  };
}

describe('documented defaults', () => {
  it('closeTimeout is 30 s: a silent peer is destroyed 30 s after close(), not before', async () => {
    const { wss, port } = await defaultServer();
    const connected = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
    await silentClient(port);
    const ws = await connected;
    await new Promise((resolve) => setImmediate(resolve));
    const closed = new Promise<number>((resolve) => ws.once('close', resolve));
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    ws.close(1000);
    vi.advanceTimersByTime(29_999);
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(ws.readyState).toBe(ws.CLOSING);
    vi.advanceTimersByTime(1);
    vi.useRealTimers();
    expect(await closed).toBe(1006);
  });

  it('server and client connections resolve backpressureAbove 64 KiB, maxBackpressure 64 MiB, readPauseAbove 1 MiB, closeTimeout 30 s', async () => {
    expect(DEFAULT_BACKPRESSURE_ABOVE).toBe(64 * 1024);
    expect(DEFAULT_MAX_BACKPRESSURE).toBe(64 * 1024 * 1024);
    const { wss, port } = await defaultServer();
    const connected = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
    const client = new NetrxWebSocket(`ws://127.0.0.1:${port}/`);
    cleanups.push(() => client.terminate());
    await new Promise((resolve) => client.once('open', resolve));
    const server = await connected;
    const expected = {
      backpressureAbove: 64 * 1024,
      maxBackpressure: 64 * 1024 * 1024,
      readPauseAbove: 1024 * 1024,
      closeTimeout: 30_000,
    };
    expect(resolved(server)).toEqual(expected);
    expect(resolved(client)).toEqual(expected);
  });

  it('the server: clientTracking on, autoPong on, perMessageDeflate off, handshakeTimeout 10 s', async () => {
    const { wss, port } = await defaultServer();
    const httpServer = (wss as unknown as { httpServer: { headersTimeout: number } }).httpServer;
    expect(httpServer.headersTimeout).toBe(10_000);
    const connected = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
    // A ws client offers permessage-deflate by default: the default server declines it.
    const peer = new WS(`ws://127.0.0.1:${port}/`);
    cleanups.push(() => peer.terminate());
    await new Promise((resolve) => peer.once('open', resolve));
    const server = await connected;
    expect(wss.clients.has(server)).toBe(true);
    expect(peer.extensions).toBe('');
    const pong = new Promise<string>((resolve) =>
      peer.once('pong', (d: Buffer) => resolve(d.toString())),
    );
    peer.ping('hi');
    expect(await pong).toBe('hi');
  });

  it('the client: perMessageDeflate on, autoPong on', async () => {
    const { wss, port } = await defaultServer({ perMessageDeflate: true });
    const connected = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
    const client = new NetrxWebSocket(`ws://127.0.0.1:${port}/`);
    cleanups.push(() => client.terminate());
    await new Promise((resolve) => client.once('open', resolve));
    const server = await connected;
    expect(client.extensions).toMatch(/^permessage-deflate/);
    const pong = new Promise<string>((resolve) =>
      server.once('pong', (d: Buffer) => resolve(d.toString())),
    );
    server.ping('hey');
    expect(await pong).toBe('hey');
  });
});
