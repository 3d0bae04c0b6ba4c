/**
 * A WebSocketServer on an HTTP/2 server made with a compatibility request
 * handler (`http2.createServer(options, app)`, the common shape), or beside
 * a catch-all `'stream'` listener added before it (verify15 NEW-3). Before
 * the fix node:http2's compat layer answered every CONNECT 405 itself (no
 * `'connect'` listener) before our `'stream'` listener ran, which then
 * threw ERR_HTTP2_HEADERS_SENT out of the emit: one request from any client
 * ended the process. Peer: node:http2 of the running Node (20.20.2 here).
 */
import {
  createServer,
  connect as http2Connect,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type OutgoingHttpHeaders,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { openedClient } from './http2-pair.js';
import { WebSocketServer } from './server.js';
import { WebSocket } from './websocket.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Listens on loopback; every error a stream listener throws is collected, not fatal. */
async function serve(server: Http2Server): Promise<{ port: number; thrown: unknown[] }> {
  const thrown: unknown[] = [];
  // An EventEmitter listener that throws rethrows from emit: catch it at the session.
  server.on('session', (session) => {
    const emit = session.emit.bind(session);
    session.emit = ((event: string, ...args: unknown[]) => {
      try {
        return emit(event, ...args);
      } catch (error) {
        thrown.push(error);
        return true;
      }
    }) as typeof session.emit;
    cleanups.push(() => session.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, thrown };
}

function ask(port: number, fields: OutgoingHttpHeaders): Promise<unknown> {
  const session = http2Connect(`http://127.0.0.1:${port}`);
  cleanups.push(() => session.destroy());
  return new Promise((resolve) => {
    session.once('remoteSettings', () => {
      const stream = session.request(fields, { endStream: false });
      stream.on('response', (headers) => resolve(headers[':status']));
      stream.on('error', () => {});
      stream.on('close', () => resolve(`closed ${stream.rstCode}`));
    });
  });
}

describe('a WebSocketServer beside a compat request handler', () => {
  it('opens WebSockets while the app answers every request 404; the app never sees them', async () => {
    const seen: string[] = [];
    const server = createServer({ settings: { enableConnectProtocol: true } }, (req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(404);
      res.end();
    });
    const wss = new WebSocketServer({ http2Server: server });
    cleanups.push(() => wss.close());
    const { port, thrown } = await serve(server);
    const ws = new WebSocket(`ws://127.0.0.1:${port}/x`, { http2: true });
    cleanups.push(() => ws.terminate());
    await expect(openedClient(ws)).resolves.toBe(ws);
    expect(await ask(port, { ':path': '/page' })).toBe(404);
    expect(seen).toEqual(['GET /page']);
    expect(thrown).toEqual([]);
  });

  it("a plain CONNECT still gets Node's 405, or reaches the app's own 'connect' listener", async () => {
    const server = createServer({ settings: { enableConnectProtocol: true } }, (_req, res) => {
      res.writeHead(404);
      res.end();
    });
    const wss = new WebSocketServer({ http2Server: server });
    const second = new WebSocketServer({ http2Server: server, path: '/other' });
    cleanups.push(() => wss.close());
    cleanups.push(() => second.close());
    const { port, thrown } = await serve(server);
    expect(await ask(port, { ':method': 'CONNECT', ':authority': 'example.test:443' })).toBe(405);
    server.on('connect', (_req: Http2ServerRequest, res: Http2ServerResponse) => {
      res.writeHead(200);
      res.end();
    });
    expect(await ask(port, { ':method': 'CONNECT', ':authority': 'example.test:443' })).toBe(200);
    expect(thrown).toEqual([]);
  });

  // verify15 NEW-2 with the compat layer: our 'connect' listener's 405 ran inside the
  // server's emit, before the listeners the app adds to each session.
  it('a plain CONNECT reaches a per-session stream listener; the 405 waits for the end of the turn', async () => {
    const server = createServer({ settings: { enableConnectProtocol: true } }, (_req, res) => {
      res.writeHead(404);
      res.end();
    });
    const answerErrors: unknown[] = [];
    server.on('session', (session) => {
      session.on('stream', (stream, headers) => {
        if (headers[':method'] !== 'CONNECT' || headers[':authority'] !== 'tunnel.test:443') return;
        try {
          stream.respond({ ':status': 200 });
        } catch (error) {
          answerErrors.push(error); // ERR_HTTP2_HEADERS_SENT: the 405 went first
        }
      });
    });
    const wss = new WebSocketServer({ http2Server: server });
    cleanups.push(() => wss.close());
    const { port, thrown } = await serve(server);
    expect(await ask(port, { ':method': 'CONNECT', ':authority': 'tunnel.test:443' })).toBe(200);
    expect(await ask(port, { ':method': 'CONNECT', ':authority': 'other.test:443' })).toBe(405);
    expect(answerErrors).toEqual([]);
    expect(thrown).toEqual([]);
  });

  it("a 'stream' listener that answered first wins: the WebSocket fails, the server lives", async () => {
    const server = createServer({ settings: { enableConnectProtocol: true } });
    server.on('stream', (stream) => {
      stream.respond({ ':status': 404 }, { endStream: true });
    });
    const wss = new WebSocketServer({ http2Server: server });
    cleanups.push(() => wss.close());
    const { port, thrown } = await serve(server);
    const ws = new WebSocket(`ws://127.0.0.1:${port}/x`, { http2: true });
    cleanups.push(() => ws.terminate());
    ws.on('error', () => {});
    const outcome = await openedClient(ws).then(
      () => 'open',
      () => 'failed',
    );
    expect(outcome).toBe('failed');
    expect(thrown).toEqual([]);
  });
});
