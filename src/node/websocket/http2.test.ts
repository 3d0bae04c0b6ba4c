import { constants } from 'node:http2';
import { afterEach, describe, expect, it } from 'vitest';
import {
  closedWith,
  http2Pair,
  nextMessage,
  openedClient,
  type Http2Kind,
  type Http2Pair,
} from './http2-pair.js';
import { WebSocket } from './websocket.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function pair(
  kind: Http2Kind,
  ...rest: Parameters<typeof http2Pair> extends [unknown, ...infer R] ? R : never
): Promise<Http2Pair> {
  const made = await http2Pair(kind, ...rest);
  cleanups.push(() => made.close());
  return made;
}

describe.each<Http2Kind>(['tls', 'h2c'])('WebSockets over HTTP/2 (%s)', (kind) => {
  it('echoes text, binary and fragmented messages on a stream of the session', async () => {
    const p = await pair(kind);
    const client = await openedClient(new WebSocket(p.url, p.clientOptions));
    // Over HTTP/2 the socket is the stream, and its session carried the CONNECT.
    expect(client.socket).toHaveProperty('session');
    expect(p.seen).toEqual({ sessions: 1, connects: 1 });
    client.send('héllo €');
    expect(await nextMessage(client)).toEqual({ data: Buffer.from('héllo €'), isBinary: false });
    const big = Buffer.alloc(1 << 20).map((_, i) => i & 0xff);
    client.send(big);
    const echoed = await nextMessage(client);
    expect(echoed.isBinary).toBe(true);
    expect(echoed.data.equals(big)).toBe(true);
    client.send('frag', { fin: false });
    client.send('ment', { fin: true });
    expect((await nextMessage(client)).data.toString()).toBe('fragment');
    const done = closedWith(client);
    client.close(4001, 'bye');
    expect(await done).toEqual({ code: 4001, reason: 'bye' });
  });

  it('negotiates permessage-deflate and a subprotocol as over HTTP/1.1', async () => {
    const p = await pair(kind, {
      perMessageDeflate: { threshold: 0 },
      handleProtocols: (o) => (o.has('b') ? 'b' : false),
    });
    const client = await openedClient(new WebSocket(p.url, ['a', 'b'], p.clientOptions));
    expect(client.protocol).toBe('b');
    expect(client.extensions).toContain('permessage-deflate');
    const text = 'compress me '.repeat(5000);
    client.send(text);
    expect((await nextMessage(client)).data.toString()).toBe(text);
  });

  it('fails when the server chose none of the offered subprotocols, as over HTTP/1.1 (ws-compat.test.ts)', async () => {
    const p = await pair(kind, { handleProtocols: () => false });
    const client = new WebSocket(p.url, ['a'], p.clientOptions);
    cleanups.push(() => client.terminate());
    const first = await new Promise<string>((resolve) => {
      client.once('open', () => resolve('open'));
      client.once('error', (error: Error) => resolve(error.message));
    });
    expect(first).toBe('Server sent no subprotocol');
  });

  it('answers pings with pongs, both ways', async () => {
    const p = await pair(kind, {}, { echo: false });
    const serverSide = new Promise<WebSocket>((resolve) => p.wss.once('connection', resolve));
    const client = await openedClient(new WebSocket(p.url, p.clientOptions));
    const server = await serverSide;
    const pong = new Promise<Buffer>((resolve) => client.once('pong', resolve));
    client.ping('p1');
    expect((await pong).toString()).toBe('p1');
    const pong2 = new Promise<Buffer>((resolve) => server.once('pong', resolve));
    server.ping('p2');
    expect((await pong2).toString()).toBe('p2');
  });

  it('closes with 1006 when the peer resets the stream (RST_STREAM), server side and client side', async () => {
    const p = await pair(kind, {}, { echo: false });
    const serverSide = new Promise<WebSocket>((resolve) => p.wss.once('connection', resolve));
    const client = await openedClient(new WebSocket(p.url, p.clientOptions));
    const server = await serverSide;
    const clientClosed = closedWith(client);
    const serverClosed = closedWith(server);
    // The server's stream is reset under the WebSocket: the client sees RST_STREAM.
    (server.socket as unknown as { close(code: number): void }).close(constants.NGHTTP2_CANCEL);
    expect((await clientClosed).code).toBe(1006);
    expect((await serverClosed).code).toBe(1006);

    const serverSide2 = new Promise<WebSocket>((resolve) => p.wss.once('connection', resolve));
    const client2 = await openedClient(new WebSocket(p.url, p.clientOptions));
    const server2 = await serverSide2;
    const server2Closed = closedWith(server2);
    (client2.socket as unknown as { close(code: number): void }).close(
      constants.NGHTTP2_INTERNAL_ERROR,
    );
    expect((await server2Closed).code).toBe(1006);
  });

  it('runs many WebSockets as streams of one session', async () => {
    const p = await pair(kind);
    const session = p.session();
    const clients = await Promise.all(
      Array.from({ length: 20 }, () => openedClient(new WebSocket(p.url, { http2: session }))),
    );
    const echoes = await Promise.all(
      clients.map(async (c, i) => {
        const next = nextMessage(c);
        c.send(`n${i}`);
        return (await next).data.toString();
      }),
    );
    expect(echoes).toEqual(clients.map((_, i) => `n${i}`));
    expect(p.seen).toEqual({ sessions: 1, connects: 20 });
    await Promise.all(
      clients.map((c) => {
        const d = closedWith(c);
        c.close();
        return d;
      }),
    );
    // Closing the WebSockets ends their streams and leaves the session open.
    expect(session.closed).toBe(false);
  });

  it('lets a reader that does not read stall its own stream, not the session', async () => {
    const p = await pair(kind, {}, { echo: false });
    const session = p.session();
    const servers: WebSocket[] = [];
    p.wss.on('connection', (ws) => servers.push(ws));
    const slow = await openedClient(new WebSocket(p.url, { http2: session }));
    const fast = await openedClient(new WebSocket(p.url, { http2: session }));
    slow.pause();
    const chunk = Buffer.alloc(64 * 1024, 1);
    const slowServer = servers[0] as WebSocket;
    let result = slowServer.send(chunk);
    for (let i = 0; i < 64 && result !== 'backpressure'; i++) result = slowServer.send(chunk);
    // The stream's flow-control window (64 KiB by default) holds the rest back.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(result).toBe('backpressure');
    expect(slowServer.bufferedAmount).toBeGreaterThan(0);
    const fastServer = servers[1] as WebSocket;
    const got = nextMessage(fast);
    fastServer.send('still moving');
    expect((await got).data.toString()).toBe('still moving');
    const drained = new Promise((resolve) => slowServer.once('drain', resolve));
    slow.resume();
    await drained;
  });
});
