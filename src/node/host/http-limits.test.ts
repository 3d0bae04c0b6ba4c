// The host's HTTP server against clients that hold sockets (issue 14 F7),
// with raw sockets on loopback and short configured timeouts: a request
// whose headers trickle in one byte at a time is cut off after
// headersTimeoutMs (not Node's 30 s checking interval later), one address
// cannot take every connection, and WebSocket upgrades are bounded.
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TraceRegistry } from '../../trace/index.js';
import { systemClock } from '../runtime/index.js';
import { HOST_PROVIDER } from './events.js';
import { HttpStatusServer, type HttpLimits } from './http-status.js';

const servers: HttpStatusServer[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(limits: Partial<HttpLimits>) {
  const trace = new TraceRegistry({ clock: systemClock }).register(HOST_PROVIDER);
  const server = new HttpStatusServer({ host: '127.0.0.1', port: 0, trace, limits });
  servers.push(server);
  server.route('/health', () => ({ status: 'ok' }));
  const held: Socket[] = [];
  server.upgrade('/capture', (_request, socket) => {
    // Holds the socket as a WebSocket server would, until the client goes.
    held.push(socket as Socket);
    sockets.push(socket as Socket);
  });
  const { port } = await server.listen();
  return { server, port, held };
}

function open(port: number, from = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress: from }, () => resolve(socket));
    sockets.push(socket);
    socket.once('error', reject);
  });
}

/** What the server sends until it closes the socket (or `ms` pass: then `open: true`). */
function untilClosed(socket: Socket, ms: number): Promise<{ data: string; open: boolean }> {
  return new Promise((resolve) => {
    let data = '';
    socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
    socket.on('error', () => undefined);
    const timer = setTimeout(() => resolve({ data, open: true }), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ data, open: false });
    });
  });
}

async function get(port: number, from: string): Promise<string> {
  const socket = await open(port, from);
  socket.end('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
  return (await untilClosed(socket, 2000)).data;
}

describe('the host HTTP server: slow and piled-up clients', () => {
  it('headers sent one byte at a time are cut off after headersTimeoutMs', async () => {
    const { server, port } = await serve({ headersTimeoutMs: 300, requestTimeoutMs: 600 });
    const socket = await open(port);
    const head = 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ' + 'a'.repeat(200);
    let sent = 0;
    const drip = setInterval(() => {
      if (sent < head.length && socket.writable) socket.write(head[sent++] as string);
    }, 20);
    const started = performance.now();
    const result = await untilClosed(socket, 3000);
    clearInterval(drip);
    expect(result.open).toBe(false);
    expect(performance.now() - started).toBeLessThan(2000);
    // Still dripping: the headers never finished.
    expect(sent).toBeLessThan(head.length);
    expect(result.data).toMatch(/^HTTP\/1\.1 408 /);
    expect(server.timedOut).toBe(1);
  });

  it('one address gets maxConnectionsPerAddress connections that sent a request; all of loopback is one address', async () => {
    const { server, port } = await serve({ maxConnectionsPerAddress: 2, maxConnections: 10 });
    // Two keep-alive connections that each sent a request: they hold the address's bound.
    const first = await open(port);
    const second = await open(port);
    for (const socket of [first, second]) {
      const answered = new Promise((resolve) => socket.once('data', resolve));
      socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      await answered;
    }
    const third = await open(port);
    expect((await untilClosed(third, 2000)).open).toBe(false);
    // Any local user can send from any 127.x address: rotating it gets no fresh bound.
    const rotated = await open(port, '127.0.0.2');
    expect((await untilClosed(rotated, 2000)).open).toBe(false);
    expect(server.connections.stats()).toMatchObject({ refusedPerAddress: 2, evictedPreAuth: 0 });
    // A slot freed on loopback is loopback's again, whatever 127.x takes it.
    first.destroy();
    await expect.poll(() => server.connections.stats().open).toBe(1);
    expect(await get(port, '127.0.0.3')).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('review M6: slow-header sockets filling the bound do not lock a real client out; the oldest is cut', async () => {
    const { server, port } = await serve({ maxConnectionsPerAddress: 4, maxConnections: 10 });
    const slow: Socket[] = [];
    for (let i = 0; i < 4; i++) {
      const socket = await open(port, `127.0.0.${i + 1}`);
      socket.write('GET /health HTTP/1.1\r\nHo');
      slow.push(socket);
    }
    const oldestClosed = untilClosed(slow[0] as Socket, 2000);
    // The dashboard, curl, a Prometheus scrape: a request at once.
    expect(await get(port, '127.0.0.9')).toMatch(/^HTTP\/1\.1 200 /);
    expect((await oldestClosed).open).toBe(false);
    expect(server.connections.stats()).toMatchObject({ refusedPerAddress: 0, evictedPreAuth: 1 });
    // The others are still there (the bound on the address holds: 3 slow + the one that went).
    expect(slow.slice(1).every((s) => !s.destroyed)).toBe(true);
  });

  it('at most maxWebSockets upgrades at once: the next gets 503 until one closes', async () => {
    const { server, port, held } = await serve({ maxWebSockets: 2 });
    const upgrade = async (from: string) => {
      const socket = await open(port, from);
      socket.write(
        'GET /capture HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
      );
      return socket;
    };
    await upgrade('127.0.0.1');
    await upgrade('127.0.0.2');
    await expect.poll(() => held.length).toBe(2);
    const third = await upgrade('127.0.0.3');
    expect((await untilClosed(third, 2000)).data).toMatch(/^HTTP\/1\.1 503 /);
    held[0]?.destroy();
    await expect.poll(() => server.connections.stats().webSockets).toBe(1);
    await upgrade('127.0.0.4');
    await expect.poll(() => held.length).toBe(3);
    expect(server.connections.stats()).toMatchObject({ webSockets: 2, refusedWebSockets: 1 });
  });
});
