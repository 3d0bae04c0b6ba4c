// The capture WebSocket server before and around authentication: the one
// pre-auth deadline (TCP accept → TLS → request head → token), the
// per-address cap, keep-alive, and a client that never reads. Real loopback
// sockets; the deadlines run on a virtual clock, so nothing waits for them.
import { once } from 'node:events';
import { connect as connectTcp, createServer as createTcpServer, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { describe, expect, it } from 'vitest';
import {
  LREC_WS_SUBPROTOCOL,
  SessionTable,
  encodeRequest,
  startSyntheticProvider,
} from '../../capture/index.js';
import { VirtualClock } from '../../testing/index.js';
import { TraceRegistry } from '../../trace/index.js';
import { createDemoCertificates, DEMO_SERVER_NAME } from '../certs/index.js';
import { systemClock } from '../runtime/index.js';
import { connectLrecWs, startLrecWsServer, type LrecWsServerNodeOptions } from './index.js';
import { ConnectionAdmission } from './ws-admission.js';

const TOKEN = 'correct horse battery staple';

async function until(condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function setup() {
  const clock = new VirtualClock(1_700_000_000_000);
  const registry = new TraceRegistry({ clock: systemClock });
  const sessions = new SessionTable({ registry, clock: systemClock });
  const session = sessions.createSession({
    name: 'S',
    providers: [{ provider: 'netrx-synthetic' }],
    limits: { timerMs: 100, eventsPerBuffer: 50 },
  });
  session.start();
  const synthetic = startSyntheticProvider({ registry, clock: systemClock, eventsPerSecond: 0 });
  const traced: string[] = [];
  registry.enable('netrx-capture-ws', (event) => traced.push(event.descriptor.name));
  const start = (options: Partial<LrecWsServerNodeOptions> = {}) =>
    startLrecWsServer({
      table: sessions,
      port: 0,
      token: TOKEN,
      clock,
      trace: registry,
      ...options,
    });
  return { clock, registry, sessions, session, synthetic, traced, start };
}

/** A raw TCP socket and what it read, with its end. */
function raw(port: number) {
  const socket = connectTcp({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  const state = { text: '', closed: false, socket };
  socket.on('data', (chunk: Buffer) => (state.text += chunk.toString('latin1')));
  socket.on('close', () => (state.closed = true));
  return state;
}

function upgradeRequest(port: number, extra: string[] = []): string {
  return [
    'GET / HTTP/1.1',
    `Host: 127.0.0.1:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version: 13',
    `Sec-WebSocket-Protocol: ${LREC_WS_SUBPROTOCOL}`,
    `Authorization: Bearer ${TOKEN}`,
    ...extra,
    '',
    '',
  ].join('\r\n');
}

/** A client WebSocket text frame (masked with a zero key, which RFC 6455 allows). */
function maskedText(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const n = payload.length;
  const head =
    n < 126
      ? Buffer.from([0x81, 0x80 | n])
      : Buffer.from([0x81, 0x80 | 126, (n >> 8) & 0xff, n & 0xff]);
  return Buffer.concat([head, Buffer.alloc(4), payload]);
}

describe('capture over WebSocket: one deadline before authentication', () => {
  it('cuts a wss client that opens TCP and never starts TLS (was held by Node for 120 s)', async () => {
    const t = setup();
    const certs = createDemoCertificates();
    const server = await t.start({
      handshakeTimeout: 5_000,
      tls: { cert: certs.server.certPem, key: certs.server.keyPem },
    });
    try {
      const silent = raw(server.port);
      await until(() => server.stats().preAuth === 1);
      t.clock.advance(4_999);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(silent.closed).toBe(false);
      t.clock.advance(1);
      await until(() => silent.closed);
      expect(server.stats()).toMatchObject({ preAuthTimeouts: 1, preAuth: 0 });
      expect(t.traced).toEqual(['ConnectionDropped']);
    } finally {
      await server.close();
    }
  });

  it('the deadline runs from accept, across the request head: a slow head is cut at the same time', async () => {
    const t = setup();
    const server = await t.start({ handshakeTimeout: 5_000 });
    try {
      const slow = raw(server.port);
      await until(() => server.stats().preAuth === 1);
      t.clock.advance(3_000);
      // Half an upgrade request, never finished.
      slow.socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      await new Promise((resolve) => setTimeout(resolve, 20));
      t.clock.advance(2_000);
      await until(() => slow.closed);
      expect(server.stats().preAuthTimeouts).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('an authenticated client is not cut by the deadline; a refused one is gone at once', async () => {
    const t = setup();
    const certs = createDemoCertificates();
    const server = await t.start({
      handshakeTimeout: 5_000,
      keepAliveIntervalMs: 0,
      tls: { cert: certs.server.certPem, key: certs.server.keyPem },
    });
    try {
      const client = await connectLrecWs({
        url: `wss://127.0.0.1:${server.port}`,
        token: TOKEN,
        ca: certs.ca.certPem,
        servername: DEMO_SERVER_NAME,
      });
      expect(server.stats().preAuth).toBe(0);
      t.clock.advance(60_000);
      const handle = await client.open('S');
      t.synthetic.emit(10);
      await client.receive(handle);
      expect(server.stats()).toMatchObject({ preAuthTimeouts: 0, connections: 1 });
      client.end();
      await client.closed;
    } finally {
      await server.close();
    }
  });
});

describe('capture over WebSocket: connections per remote address', () => {
  it('refuses one more socket from an address with 429, counted and traced; others are unaffected', async () => {
    const t = setup();
    const server = await t.start({ maxConnectionsPerAddress: 2, keepAliveIntervalMs: 0 });
    try {
      const a = raw(server.port);
      const b = raw(server.port);
      await until(() => server.stats().preAuth === 2);
      const c = raw(server.port);
      await until(() => c.closed);
      expect(c.text).toMatch(/^HTTP\/1\.1 429 Too Many Requests\r\n/);
      expect(c.text).toContain('Retry-After: 1');
      expect(server.stats()).toMatchObject({ addressRefused: 1, preAuth: 2 });
      expect(t.traced).toEqual(['ConnectionRefused']);
      // A slot frees when a socket closes.
      a.socket.destroy();
      await until(() => server.stats().preAuth === 1);
      const client = await connectLrecWs({ url: `ws://127.0.0.1:${server.port}`, token: TOKEN });
      await client.open('S');
      client.end();
      await client.closed;
      b.socket.destroy();
      // The address's entry goes once its count reaches 0 (M6).
      await until(() => server.stats().preAuth === 0);
      await until(() => server.stats().addresses === 0);
    } finally {
      await server.close();
    }
  });

  it('defaults to 16 per address', async () => {
    const t = setup();
    const server = await t.start();
    const sockets: ReturnType<typeof raw>[] = [];
    try {
      for (let i = 0; i < 16; i++) sockets.push(raw(server.port));
      await until(() => server.stats().preAuth === 16);
      const extra = raw(server.port);
      await until(() => extra.closed);
      expect(server.stats().addressRefused).toBe(1);
    } finally {
      for (const s of sockets) s.socket.destroy();
      await server.close();
    }
  });

  it('an endpoint mounted on another server (netrx up) answers 429 past its cap at the upgrade', async () => {
    const { createLrecWsEndpoint } = await import('./index.js');
    const { createServer } = await import('node:http');
    const t = setup();
    const endpoint = createLrecWsEndpoint({
      table: t.sessions,
      maxConnectionsPerAddress: 1,
      keepAliveIntervalMs: 0,
      trace: t.registry,
    });
    const http = createServer();
    http.on('upgrade', (request, socket, head) => endpoint.handleUpgrade(request, socket, head));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const port = (http.address() as { port: number }).port;
    try {
      const first = raw(port);
      first.socket.write(upgradeRequest(port));
      await until(() => first.text.includes('\r\n\r\n'));
      expect(first.text).toMatch(/^HTTP\/1\.1 101 /);
      const second = raw(port);
      second.socket.write(upgradeRequest(port));
      await until(() => second.closed);
      expect(second.text).toMatch(/^HTTP\/1\.1 429 Too Many Requests\r\n/);
      expect(endpoint.stats().addressRefused).toBe(1);
      expect(t.traced).toEqual(['ConnectionRefused']);
      first.socket.destroy();
    } finally {
      endpoint.close();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    }
  });

  it('under TLS a socket past the cap is reset before the handshake: no plaintext 429 in a TLS stream (M2)', async () => {
    const t = setup();
    const certs = createDemoCertificates();
    const server = await t.start({
      maxConnectionsPerAddress: 1,
      keepAliveIntervalMs: 0,
      tls: { cert: certs.server.certPem, key: certs.server.keyPem },
    });
    const opened: Socket[] = [];
    try {
      const held = raw(server.port);
      opened.push(held.socket);
      await until(() => server.stats().preAuth === 1);
      // A raw socket sees no byte at all: an HTTP answer here would be garbage to a TLS client.
      const refused = raw(server.port);
      // Bounded: under the mutant the socket stays open, silent, with nothing to time it out.
      await until(() => refused.closed || refused.text !== '', 5_000).catch(() => undefined);
      expect(refused.text).toBe('');
      expect(refused.closed).toBe(true);
      // A real TLS client fails as on a dropped connection, not on a bad record (plaintext).
      const failure = await new Promise<NodeJS.ErrnoException>((resolve, reject) => {
        const tls = connectTls({
          host: '127.0.0.1',
          port: server.port,
          ca: certs.ca.certPem,
          servername: DEMO_SERVER_NAME,
        });
        tls.once('secureConnect', () => reject(new Error('TLS handshake completed past the cap')));
        tls.once('error', resolve);
      });
      expect(failure.code).not.toMatch(/SSL|TLS_/);
      expect(server.stats()).toMatchObject({ addressRefused: 2, preAuth: 1 });
    } finally {
      for (const socket of opened) socket.destroy();
      await server.close();
    }
  });

  it('a refused peer that never reads nor closes is destroyed once its 429 is written (M3)', async () => {
    // ConnectionAdmission on a plain TCP server, to hold the server's side of the refused socket.
    const admission = new ConnectionAdmission({
      clock: new VirtualClock(0),
      preAuthTimeoutMs: 10_000,
      maxPerAddress: 1,
      tls: false,
    });
    const tcp = createTcpServer();
    admission.attach(tcp);
    const accepted: Socket[] = [];
    tcp.on('connection', (socket) => accepted.push(socket));
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    const port = (tcp.address() as { port: number }).port;
    const clients: Socket[] = [];
    const open = () => {
      // Half-open allowed and paused: it reads nothing, so it never answers the FIN.
      const socket = connectTcp({ host: '127.0.0.1', port, allowHalfOpen: true });
      socket.on('error', () => undefined);
      socket.pause();
      clients.push(socket);
    };
    try {
      open();
      await until(() => admission.stats().preAuth === 1);
      open();
      await until(() => accepted.length === 2);
      const refused = accepted[1] as Socket;
      // 'finish': the 429 and the FIN are out. The refusal's destroy runs just before it.
      if (!refused.writableFinished) await once(refused, 'finish');
      expect(refused.destroyed).toBe(true);
      expect(admission.stats()).toMatchObject({ addressRefused: 1, preAuth: 1 });
    } finally {
      for (const c of clients) c.destroy();
      for (const s of accepted) s.destroy();
      await new Promise((resolve) => tcp.close(resolve));
    }
  });
});

describe('capture over WebSocket: keep-alive', () => {
  it('pings every interval; a peer that never pongs is terminated and its session stops', async () => {
    const t = setup();
    const server = await t.start({ keepAliveIntervalMs: 30_000, keepAliveTimeoutMs: 10_000 });
    try {
      const dead = raw(server.port);
      dead.socket.write(upgradeRequest(server.port));
      await until(() => dead.text.includes('\r\n\r\n'));
      dead.socket.write(maskedText(encodeRequest({ id: 1, call: 'open', session: 'S' })));
      await until(() => server.stats().handles === 1);
      expect(t.session.state).toBe('Running');
      const before = dead.text.length;
      t.clock.advance(30_000);
      // A ping frame (0x89) went out.
      await until(() => dead.text.slice(before).includes('\x89'));
      t.clock.advance(9_999);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(dead.closed).toBe(false);
      t.clock.advance(1);
      await until(() => dead.closed);
      await until(() => server.stats().connections === 0);
      expect(server.stats()).toMatchObject({ keepAliveTimeouts: 1, rundowns: 1 });
      expect(t.session.state).toBe('Stopped');
      expect(t.traced).toEqual(['ConnectionDropped']);
    } finally {
      await server.close();
    }
  });

  it('a live client (it answers pings) keeps its connection through many intervals', async () => {
    const t = setup();
    const server = await t.start({ keepAliveIntervalMs: 1_000, keepAliveTimeoutMs: 500 });
    try {
      const client = await connectLrecWs({ url: `ws://127.0.0.1:${server.port}`, token: TOKEN });
      const handle = await client.open('S');
      for (let i = 0; i < 10; i++) {
        // A ping; its pong arrives over the real socket before the next
        // advance carries the clock past the ping's deadline.
        t.clock.advance(1_000);
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
      t.synthetic.emit(5);
      await client.receive(handle);
      expect(server.stats()).toMatchObject({ keepAliveTimeouts: 0, connections: 1 });
      client.end();
      await client.closed;
    } finally {
      await server.close();
    }
  });

  it('refuses a negative interval or a zero pong timeout', async () => {
    const t = setup();
    await expect(t.start({ keepAliveIntervalMs: -1 })).rejects.toThrow(RangeError);
    await expect(t.start({ keepAliveTimeoutMs: 0 })).rejects.toThrow(RangeError);
  });
});

describe('capture over WebSocket: a client that never reads', () => {
  it('sends many requests and reads nothing: cut off as a slow reader, server memory bounded', async () => {
    const t = setup();
    const server = await t.start({ keepAliveIntervalMs: 0, congestionBytes: 4096 });
    const client: Socket = connectTcp({ host: '127.0.0.1', port: server.port });
    client.on('error', () => undefined);
    let closed = false;
    client.on('close', () => (closed = true));
    try {
      await new Promise((resolve) => client.once('connect', resolve));
      // The smallest receive window, then never read: the kernel buffers fill first.
      client.pause();
      client.write(upgradeRequest(server.port));
      let maxBuffered = 0;
      // Replies are ~130 bytes; without a bound they pile up in the server.
      const request = maskedText(
        encodeRequest({ id: 7, call: 'receive', handle: 'ab'.repeat(16) }),
      );
      for (let round = 0; round < 400 && !closed; round++) {
        client.write(Buffer.concat(Array.from({ length: 500 }, () => request)));
        await new Promise((resolve) => setTimeout(resolve, 2));
        maxBuffered = Math.max(maxBuffered, server.stats().bufferedBytes);
      }
      await until(() => server.stats().slowReaders === 1);
      expect(server.stats().dropped['slow-reader']).toBe(1);
      // What waited in user space: the threshold and the write that crossed it.
      expect(maxBuffered).toBeLessThan(4096 + 1024);
      expect(t.traced).toContain('ConnectionDropped');
      await until(() => server.stats().connections === 0);
    } finally {
      client.destroy();
      await server.close();
    }
  });
});
