/**
 * A WebSocketServer on someone's HTTP/2 server claims only extended CONNECT
 * with `:protocol websocket` (ws-review F3). A plain CONNECT (a forward
 * proxy) or another protocol (connect-udp, RFC 9298) is left to the
 * application's `'stream'` listener even when that listener was added
 * after the WebSocketServer; before the fix the WebSocketServer answered
 * 400 and 501 first and the application's respond threw
 * ERR_HTTP2_HEADERS_SENT. With no other listener, they still get 400/501
 * (http2-refusals.test.ts), answered once however many WebSocketServers.
 * Peer: node:http2 (nghttp2 as bundled with the running Node).
 */
import {
  constants,
  createServer,
  connect as http2Connect,
  type ClientHttp2Session,
  type OutgoingHttpHeaders,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { http2Pair, nextMessage, openedClient, type Http2Pair } from './http2-pair.js';
import { WebSocketServer } from './server.js';
import { echoConnection } from './echo.js';
import { WebSocket } from './websocket.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function h2c(): Promise<Http2Pair> {
  const made = await http2Pair('h2c');
  cleanups.push(() => made.close());
  return made;
}

/** Sends raw fields; resolves with the status, or the reset code if there was no answer. */
function ask(
  session: ClientHttp2Session,
  fields: OutgoingHttpHeaders,
): Promise<{ status: unknown; rst: number | undefined }> {
  return new Promise((resolve) => {
    const stream = session.request(fields, { endStream: false });
    stream.on('response', (headers) => resolve({ status: headers[':status'], rst: undefined }));
    stream.on('error', () => {});
    stream.on('close', () => resolve({ status: undefined, rst: stream.rstCode }));
  });
}

async function settled(session: ClientHttp2Session): Promise<ClientHttp2Session> {
  await new Promise((resolve) => session.once('remoteSettings', resolve));
  return session;
}

const CONNECT_UDP = {
  ':method': 'CONNECT',
  ':protocol': 'connect-udp',
  ':scheme': 'http',
  ':authority': 'localhost',
  ':path': '/.well-known/masque/udp/192.0.2.6/443/',
};

describe('WebSocketServer on an HTTP/2 server: CONNECT streams that are not WebSockets', () => {
  it('leaves a plain CONNECT (a proxy tunnel) to a listener registered after it', async () => {
    const p = await h2c();
    const answerErrors: unknown[] = [];
    p.http2Server.on('stream', (stream, headers) => {
      if (headers[':method'] !== 'CONNECT' || headers[':protocol'] !== undefined) return;
      try {
        stream.respond({ ':status': 200 });
      } catch (error) {
        answerErrors.push(error); // ERR_HTTP2_HEADERS_SENT: the WebSocketServer answered first
      }
    });
    const session = await settled(p.session());
    const answer = await ask(session, { ':method': 'CONNECT', ':authority': 'example.test:443' });
    expect(answer.status).toBe(200);
    expect(answerErrors).toEqual([]);
  });

  // verify15 NEW-2: the server's 'stream' emit (ours) runs inside the session's,
  // before the listeners added on 'session', so counting server listeners saw no one.
  it('leaves a plain CONNECT to a per-session stream listener (added on the session)', async () => {
    const p = await h2c();
    const answerErrors: unknown[] = [];
    p.http2Server.on('session', (session) => {
      session.on('stream', (stream, headers) => {
        if (headers[':method'] !== 'CONNECT' || headers[':protocol'] !== undefined) return;
        try {
          stream.respond({ ':status': 200 });
        } catch (error) {
          answerErrors.push(error); // ERR_HTTP2_HEADERS_SENT: the WebSocketServer answered first
        }
      });
    });
    const session = await settled(p.session());
    const answer = await ask(session, { ':method': 'CONNECT', ':authority': 'example.test:443' });
    expect(answer.status).toBe(200);
    expect(answerErrors).toEqual([]);
    // Nobody answers connect-udp on this server: the refusal still comes, at the end of the turn.
    expect((await ask(session, CONNECT_UDP)).status).toBe(501);
  });

  it('leaves connect-udp (RFC 9298) to the application, and still serves WebSockets', async () => {
    const p = await h2c();
    p.http2Server.on('stream', (stream, headers) => {
      if (headers[':protocol'] === 'connect-udp') {
        stream.respond({ ':status': 200, 'capsule-protocol': '?1' });
      }
    });
    const session = await settled(p.session());
    expect((await ask(session, CONNECT_UDP)).status).toBe(200);
    // `:protocol` is case-insensitive (an upgrade token): WebSocket is still ours.
    const ws = await openedClient(new WebSocket(p.url, { http2: session }));
    const reply = nextMessage(ws);
    ws.send('still ours');
    expect((await reply).data.toString()).toBe('still ours');
  });

  it('a plain CONNECT reset while its refusal waits for the end of the turn ends quietly', async () => {
    const p = await h2c();
    const session = await settled(p.session());
    const resets = await new Promise<number>((resolve) => {
      const stream = session.request(
        { ':method': 'CONNECT', ':authority': 'example.test:443' },
        { endStream: false },
      );
      stream.on('error', () => {});
      stream.on('close', () => resolve(stream.rstCode ?? -1));
      // In the same write as the HEADERS: the server sees the reset before its refusal.
      stream.close(constants.NGHTTP2_PROTOCOL_ERROR);
    });
    expect(resets).toBe(constants.NGHTTP2_PROTOCOL_ERROR);
    // The server lives (an uncaught stream 'error' would have failed this file) and still refuses.
    const answer = await ask(session, { ':method': 'CONNECT', ':authority': 'example.test:443' });
    expect(answer.status).toBe(400);
  });

  it('with only WebSocketServers listening, answers connect-udp 501 once and a plain CONNECT 400', async () => {
    const server = createServer({ settings: { enableConnectProtocol: true } });
    const a = new WebSocketServer({ http2Server: server, path: '/a' });
    const b = new WebSocketServer({ http2Server: server, path: '/b' });
    a.on('connection', echoConnection);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const session = http2Connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    session.on('error', () => {});
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          session.destroy();
          a.close();
          b.close();
          server.close(() => resolve());
        }),
    );
    await settled(session);
    expect((await ask(session, CONNECT_UDP)).status).toBe(501);
    expect((await ask(session, { ':method': 'CONNECT', ':authority': 'x:1' })).status).toBe(400);
    // Two servers, one answer: a second respond would have reset the session.
    expect(session.destroyed).toBe(false);
    expect(
      (
        await ask(session, {
          ...CONNECT_UDP,
          ':protocol': 'WebSocket',
          ':path': '/a',
          'sec-websocket-version': '13',
        })
      ).status,
    ).toBe(200);
  });
});
