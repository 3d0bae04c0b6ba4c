/**
 * One port, two protocols: a `node:http2` secure server with `allowHTTP1`
 * serves HTTP/1.1 upgrades (here from a `ws` 8.23.0 client, ALPN
 * http/1.1) and RFC 8441 extended CONNECT (the netrx HTTP/2 client, ALPN
 * h2) through one `WebSocketServer` given it as both `server` and
 * `http2Server`. Both echo, both are in `clients`, and a broadcast reaches
 * both.
 */
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket as WsClient } from 'ws';
import { DEMO_SERVER_NAME } from '../certs/index.js';
import { echoConnection } from './echo.js';
import { demoCertificates, nextMessage, openedClient } from './http2-pair.js';
import { WebSocketServer } from './server.js';
import { WebSocket } from './websocket.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function bothOnOnePort(): Promise<{
  wss: WebSocketServer;
  port: number;
  http2Server: Http2SecureServer;
}> {
  const certs = demoCertificates();
  const http2Server = createSecureServer({
    cert: certs.server.certPem,
    key: certs.server.keyPem,
    allowHTTP1: true,
    settings: { enableConnectProtocol: true },
  });
  const sessions: { destroy(): void }[] = [];
  http2Server.on('session', (s) => sessions.push(s));
  const sockets: { destroy(): void }[] = [];
  http2Server.on('secureConnection', (s: TLSSocket) => sockets.push(s));
  await new Promise<void>((r) => http2Server.listen(0, '127.0.0.1', r));
  // With allowHTTP1, HTTP/1.1 upgrades come as the server's 'upgrade' events.
  const wss = new WebSocketServer({ server: http2Server, http2Server });
  wss.on('connection', echoConnection);
  cleanups.push(async () => {
    for (const c of wss.clients) c.terminate();
    wss.close();
    await new Promise<void>((r) => {
      http2Server.close(() => r());
      for (const s of sessions) s.destroy();
      for (const s of sockets) s.destroy();
    });
  });
  return { wss, port: (http2Server.address() as AddressInfo).port, http2Server };
}

describe('allowHTTP1: HTTP/1.1 upgrade and HTTP/2 extended CONNECT on one port', () => {
  it('a ws client (HTTP/1.1) and the netrx h2 client both echo and both get a broadcast', async () => {
    const { wss, port } = await bothOnOnePort();
    const certs = demoCertificates();
    const url = `wss://127.0.0.1:${port}/`;
    // ws passes TLS options through to https.request (ALPN: http/1.1 only).
    const tls = { ca: certs.ca.certPem, servername: DEMO_SERVER_NAME };
    const h1 = new WsClient(url, tls);
    cleanups.push(() => h1.terminate());
    await new Promise((resolve, reject) => {
      h1.once('open', resolve);
      h1.once('error', reject);
    });
    const h2 = await openedClient(
      new WebSocket(url, { http2: true, ca: certs.ca.certPem, servername: DEMO_SERVER_NAME }),
    );
    cleanups.push(() => h2.terminate());
    // Which protocol each one really spoke: the h2 one is a stream of a session.
    expect(h2.socket).toHaveProperty('session');
    const serverSides = [...wss.clients];
    expect(serverSides).toHaveLength(2);
    expect(serverSides.filter((ws) => 'session' in (ws.socket ?? {}))).toHaveLength(1);

    const h1Echo = new Promise<string>((r) => h1.once('message', (d: Buffer) => r(d.toString())));
    h1.send('over http/1.1');
    expect(await h1Echo).toBe('over http/1.1');
    const h2Echo = nextMessage(h2);
    h2.send('over h2');
    expect((await h2Echo).data.toString()).toBe('over h2');

    const h1Got = new Promise<string>((r) => h1.once('message', (d: Buffer) => r(d.toString())));
    const h2Got = nextMessage(h2);
    expect(wss.broadcast('to both').sent).toBe(2);
    expect(await h1Got).toBe('to both');
    expect((await h2Got).data.toString()).toBe('to both');
  });
});
