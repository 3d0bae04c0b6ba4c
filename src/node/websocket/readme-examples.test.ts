/**
 * The examples of the `ws` README (ws 8.23.0), rewritten as tests in our
 * own words, with netrx's server and client where `ws`'s were: a `ws` user
 * should only have to change the import.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import {
  Agent,
  createServer,
  request as httpRequest,
  type ClientRequestArgs,
  type IncomingMessage,
  type Server,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer, createWebSocketStream } from './index.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function serverUp(wss: WebSocketServer): Promise<number> {
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  );
  return new Promise((resolve) =>
    wss.once('listening', () => resolve((wss.address() as AddressInfo).port)),
  );
}

function httpUp(server: Server): Promise<number> {
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

function client(url: string, options?: ConstructorParameters<typeof WebSocket>[1]): WebSocket {
  const ws = new WebSocket(url, options);
  ws.on('error', () => undefined);
  cleanups.push(() => ws.terminate());
  return ws;
}

const nextMessage = (ws: WebSocket): Promise<Buffer> =>
  new Promise((resolve) => ws.once('message', (data: Buffer) => resolve(data)));
const opened = (ws: WebSocket): Promise<void> =>
  new Promise((resolve) => ws.once('open', () => resolve()));
const closed = (ws: WebSocket): Promise<number> =>
  new Promise((resolve) => ws.once('close', (code: number) => resolve(code)));

describe('ws README examples against netrx', () => {
  it('sending and receiving text data; a simple server', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    wss.on('connection', (ws) => {
      ws.on('error', () => undefined);
      ws.on('message', (data: Buffer) => ws.send(`received: ${data.toString()}`));
      ws.send('something');
    });
    const port = await serverUp(wss);
    const ws = client(`ws://127.0.0.1:${port}/path`);
    const first = nextMessage(ws);
    ws.on('open', () => ws.send('hello'));
    expect((await first).toString()).toBe('something');
    expect((await nextMessage(ws)).toString()).toBe('received: hello');
  });

  it('sending binary data (a Float32Array)', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    wss.on('connection', (ws) =>
      ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary })),
    );
    const port = await serverUp(wss);
    const ws = client(`ws://127.0.0.1:${port}/`);
    await opened(ws);
    const array = new Float32Array(5);
    for (let i = 0; i < array.length; ++i) array[i] = i / 2;
    ws.send(array);
    const echoed = await nextMessage(ws);
    expect([
      ...new Float32Array(echoed.buffer.slice(echoed.byteOffset, echoed.byteOffset + 20)),
    ]).toEqual([0, 0.5, 1, 1.5, 2]);
  });

  it('an external HTTPS server, the client with TLS options at the top level', async () => {
    const dir = mkdtempSync(join(tmpdir(), `netrx-ws-tls-${process.pid}-`));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    const cert = readFileSync(join(dir, 'cert.pem'));
    const key = readFileSync(join(dir, 'key.pem'));
    const server = createHttpsServer({ cert, key });
    const wss = new WebSocketServer({ server });
    wss.on('connection', (ws, request: IncomingMessage) => {
      ws.send(`secure ${String((request.socket as { encrypted?: boolean }).encrypted)}`);
    });
    cleanups.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    const port = await httpUp(server);
    // As in ws: ca (and servername, rejectUnauthorized, ...) at the top level.
    const trusted = client(`wss://localhost:${port}/`, { ca: cert });
    expect((await nextMessage(trusted)).toString()).toBe('secure true');
    // An unknown certificate is refused unless the client says otherwise.
    const strict = client(`wss://127.0.0.1:${port}/`);
    const error = new Promise<Error>((resolve) => strict.once('error', resolve));
    expect((await error).message).toMatch(/self[- ]signed|certificate/i);
    const lax = client(`wss://127.0.0.1:${port}/`, { rejectUnauthorized: false });
    expect((await nextMessage(lax)).toString()).toBe('secure true');
  });

  it('several servers sharing one HTTP server (noServer + handleUpgrade)', async () => {
    const server = createServer();
    const wss1 = new WebSocketServer({ noServer: true });
    const wss2 = new WebSocketServer({ noServer: true });
    wss1.on('connection', (ws) => ws.send('one'));
    wss2.on('connection', (ws) => ws.send('two'));
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      const { pathname } = new URL(request.url ?? '/', 'ws://base.url');
      if (pathname === '/foo') {
        wss1.handleUpgrade(request, socket, head, (ws) => wss1.emit('connection', ws, request));
      } else if (pathname === '/bar') {
        wss2.handleUpgrade(request, socket, head, (ws) => wss2.emit('connection', ws, request));
      } else {
        socket.destroy();
      }
    });
    const port = await httpUp(server);
    expect((await nextMessage(client(`ws://127.0.0.1:${port}/foo`))).toString()).toBe('one');
    expect((await nextMessage(client(`ws://127.0.0.1:${port}/bar`))).toString()).toBe('two');
    const lost = client(`ws://127.0.0.1:${port}/baz`);
    expect(await closed(lost)).toBe(1006);
    expect(wss1.clients.size + wss2.clients.size).toBe(2);
  });

  it('client authentication at the upgrade', async () => {
    const server = createServer();
    const wss = new WebSocketServer({ noServer: true });
    const users: string[] = [];
    wss.on('connection', (ws, _request: IncomingMessage, user: string) => {
      users.push(user);
      ws.send(`hello ${user}`);
    });
    // Asynchronous, as a real check against a session store would be.
    const authenticate = (
      request: IncomingMessage,
      next: (error: Error | null, user?: string) => void,
    ): void => {
      setImmediate(() => {
        const token = request.headers.authorization;
        if (token === 'Bearer good') next(null, 'alice');
        else next(new Error('unauthorized'));
      });
    };
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => undefined);
      authenticate(request, (error, user) => {
        if (error !== null || user === undefined) {
          socket.write('HTTP/1.1 401 Unauthorized\r\n\r\n');
          socket.destroy();
          return;
        }
        wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request, user));
      });
    });
    const port = await httpUp(server);
    const good = client(`ws://127.0.0.1:${port}/`, { headers: { Authorization: 'Bearer good' } });
    expect((await nextMessage(good)).toString()).toBe('hello alice');
    const bad = client(`ws://127.0.0.1:${port}/`, { headers: { Authorization: 'Bearer bad' } });
    const error = new Promise<Error>((resolve) => bad.once('error', resolve));
    expect((await error).message).toMatch(/401/);
    expect(users).toEqual(['alice']);
  });

  it('broadcast to every client, and to every other client', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    wss.on('connection', (ws) => {
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        const text = data.toString();
        wss.clients.forEach((other) => {
          if (text.startsWith('all:') && other.readyState === WebSocket.OPEN) {
            other.send(data, { binary: isBinary });
          }
          if (text.startsWith('others:') && other !== ws && other.readyState === WebSocket.OPEN) {
            other.send(data, { binary: isBinary });
          }
        });
      });
    });
    const port = await serverUp(wss);
    const peers = [0, 1, 2].map(() => client(`ws://127.0.0.1:${port}/`));
    await Promise.all(peers.map(opened));
    const heard = peers.map((p) => {
      const got: string[] = [];
      p.on('message', (d: Buffer) => got.push(d.toString()));
      return got;
    });
    peers[0]?.send('others:from 0');
    peers[1]?.send('all:from 1');
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (heard.reduce((n, got) => n + got.length, 0) === 5) resolve();
        else setTimeout(check, 5);
      };
      check();
    });
    expect(heard[0]).toEqual(['all:from 1']);
    expect(heard[1]?.sort()).toEqual(['all:from 1', 'others:from 0']);
    expect(heard[2]?.sort()).toEqual(['all:from 1', 'others:from 0']);
  });

  it('round-trip time (a number sent, a Buffer subtracted from a number)', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    wss.on('connection', (ws) => ws.on('message', (data: Buffer) => ws.send(data)));
    const port = await serverUp(wss);
    const ws = client(`ws://127.0.0.1:${port}/`);
    ws.on('open', () => ws.send(Date.now()));
    const data = await nextMessage(ws);
    const rtt = Date.now() - (data as unknown as number);
    expect(Number.isFinite(rtt)).toBe(true);
    expect(rtt).toBeGreaterThanOrEqual(0);
  });

  it('the Node streams API (createWebSocketStream)', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    wss.on('connection', (ws) => {
      const duplex = createWebSocketStream(ws);
      duplex.on('error', () => undefined);
      duplex.pipe(duplex); // an echo, through the stream
    });
    const port = await serverUp(wss);
    const ws = client(`ws://127.0.0.1:${port}/`);
    const duplex = createWebSocketStream(ws, { encoding: 'utf8' });
    duplex.on('error', () => undefined);
    const got: string[] = [];
    const three = new Promise<void>((resolve) =>
      duplex.on('data', (chunk: string) => {
        got.push(chunk);
        if (got.length === 3) resolve();
      }),
    );
    duplex.write('one');
    duplex.write('two');
    duplex.write('three');
    await three;
    expect(got).toEqual(['one', 'two', 'three']);
    const ended = new Promise<void>((resolve) => duplex.once('end', resolve));
    duplex.end();
    await ended;
    expect(ws.readyState).toBe(WebSocket.CLOSED);
  });

  it("the client's IP address, directly and behind a proxy header", async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    wss.on('connection', (ws, request: IncomingMessage) => {
      const forwarded = request.headers['x-forwarded-for'];
      const ip =
        typeof forwarded === 'string'
          ? (forwarded.split(',')[0] ?? '').trim()
          : request.socket.remoteAddress;
      ws.send(ip ?? '?');
    });
    const port = await serverUp(wss);
    expect((await nextMessage(client(`ws://127.0.0.1:${port}/`))).toString()).toBe('127.0.0.1');
    const proxied = client(`ws://127.0.0.1:${port}/`, {
      headers: { 'X-Forwarded-For': '203.0.113.7, 10.0.0.1' },
    });
    expect((await nextMessage(proxied)).toString()).toBe('203.0.113.7');
  });

  it('heartbeat: ping/pong to find broken connections, terminate them', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    const alive = new WeakMap<WebSocket, boolean>();
    wss.on('connection', (ws) => {
      alive.set(ws, true);
      ws.on('error', () => undefined);
      ws.on('pong', () => alive.set(ws, true));
    });
    const interval = setInterval(() => {
      wss.clients.forEach((ws) => {
        if (alive.get(ws) === false) {
          ws.terminate();
          return;
        }
        alive.set(ws, false);
        ws.ping();
      });
    }, 40);
    wss.on('close', () => clearInterval(interval));
    cleanups.push(() => clearInterval(interval));
    const port = await serverUp(wss);
    // A healthy client, which also watches the server's pings (the README's client half).
    const healthy = client(`ws://127.0.0.1:${port}/`);
    let pingTimeout: NodeJS.Timeout | undefined;
    let pings = 0;
    const heartbeat = (): void => {
      clearTimeout(pingTimeout);
      pingTimeout = setTimeout(() => healthy.terminate(), 40 + 500);
    };
    healthy.on('open', heartbeat);
    healthy.on('ping', () => {
      pings++;
      heartbeat();
    });
    healthy.on('close', () => clearTimeout(pingTimeout));
    cleanups.push(() => clearTimeout(pingTimeout));
    // A broken one: it never answers pings.
    const broken = client(`ws://127.0.0.1:${port}/`, { autoPong: false });
    const brokenClosed = closed(broken);
    await Promise.all([opened(healthy), opened(broken)]);
    expect(await brokenClosed).toBe(1006);
    expect(healthy.readyState).toBe(WebSocket.OPEN);
    expect(pings).toBeGreaterThanOrEqual(1);
    // The server's side of the broken connection closes as its terminate() lands.
    while (wss.clients.size > 1) await new Promise((resolve) => setTimeout(resolve, 5));
    expect([...wss.clients].every((c) => c.readyState === WebSocket.OPEN)).toBe(true);
  });

  it('a client through an HTTP CONNECT proxy (agent)', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    wss.on('connection', (ws) => ws.send('through the proxy'));
    const target = await serverUp(wss);
    const tunnels: string[] = [];
    const proxy = createServer((_req, res) => res.writeHead(405).end());
    proxy.on('connect', (request: IncomingMessage, socket: Socket, head: Buffer) => {
      tunnels.push(request.url ?? '');
      const [host, port] = (request.url ?? '').split(':');
      const upstream = connect(Number(port), host ?? '127.0.0.1', () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(socket);
        socket.pipe(upstream);
      });
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
      cleanups.push(() => {
        upstream.destroy();
        socket.destroy();
      });
    });
    const proxyPort = await httpUp(proxy);
    // What https-proxy-agent does, in a few lines: open the tunnel, hand its socket over.
    class ConnectProxyAgent extends Agent {
      override createConnection(
        options: ClientRequestArgs,
        callback?: (error: Error | null, socket: Socket) => void,
      ): Socket | undefined {
        const connectRequest = httpRequest({
          host: '127.0.0.1',
          port: proxyPort,
          method: 'CONNECT',
          path: `${String(options.host)}:${String(options.port)}`,
        });
        connectRequest.on('connect', (res: IncomingMessage, socket: Socket) => {
          if (res.statusCode === 200) callback?.(null, socket);
          else callback?.(new Error(`proxy said ${res.statusCode}`), socket);
        });
        connectRequest.on('error', (error) => callback?.(error, undefined as unknown as Socket));
        connectRequest.end();
        return undefined;
      }
    }
    const ws = client(`ws://127.0.0.1:${target}/`, { agent: new ConnectProxyAgent() });
    expect((await nextMessage(ws)).toString()).toBe('through the proxy');
    expect(tunnels).toEqual([`127.0.0.1:${target}`]);
  });
});
