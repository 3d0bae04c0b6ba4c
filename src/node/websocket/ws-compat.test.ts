/**
 * What a `ws` user expects, checked side by side with ws 8.23.0 where the
 * behaviour can be compared: the events, options and edge cases of its API
 * documentation that netrx now implements.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import WS, { WebSocketServer as WsServer } from 'ws';
import { FrameDecoder, ReservedBit } from '../../wire/websocket/index.js';
import { WebSocket, WebSocketServer, WebSocketStream } from './index.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type AnyWs = WS | WebSocket;

async function netrxServer(
  options: Partial<ConstructorParameters<typeof WebSocketServer>[0]> = {},
): Promise<{ wss: WebSocketServer; url: string }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  await new Promise((resolve) => wss.once('listening', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  );
  return { wss, url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/` };
}

async function wsServer(
  options: ConstructorParameters<typeof WsServer>[0] = {},
): Promise<{ wss: WsServer; url: string }> {
  const wss = new WsServer({ port: 0, host: '127.0.0.1', ...options });
  await new Promise((resolve) => wss.once('listening', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  );
  return { wss, url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/` };
}

async function httpUp(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

function track<T extends AnyWs>(ws: T): T {
  ws.on('error', () => undefined);
  cleanups.push(() => ws.terminate());
  return ws;
}

/**
 * The ws client, then the netrx one, each made only when the loop reaches
 * it (made together, the second's events could fire before its listeners).
 */
function* bothClients(url: string, options: Record<string, unknown> = {}): Generator<AnyWs> {
  yield track(new WS(url, options));
  yield track(new WebSocket(url, options));
}

const opened = (ws: AnyWs): Promise<void> =>
  new Promise((resolve) => (ws as WebSocket).once('open', () => resolve()));
const closeOf = (ws: AnyWs): Promise<{ code: number }> =>
  new Promise((resolve) => (ws as WebSocket).once('close', (code: number) => resolve({ code })));
const errorOf = (ws: AnyWs): Promise<Error> =>
  new Promise((resolve) => (ws as WebSocket).once('error', resolve));

const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/**
 * A raw server: answers the upgrade with a 101, writes `after`, and echoes
 * the client's close frame (as a conforming peer does), then ends.
 */
async function rawServer(after: Buffer): Promise<string> {
  const server = createTcpServer((socket) => {
    socket.on('error', () => undefined);
    cleanups.push(() => void socket.destroy());
    socket.once('data', (head: Buffer) => {
      const key = /sec-websocket-key: *(\S+)/i.exec(head.toString())?.[1] ?? '';
      const accept = createHash('sha1').update(`${key}${ACCEPT_GUID}`).digest('base64');
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
      socket.write(after);
      socket.on('data', (frame: Buffer) => {
        // A masked close from the client: 0x88, 0x80 | length, 4-byte key, payload.
        if (frame[0] !== 0x88) return;
        const length = (frame[1] ?? 0) & 0x7f;
        const key = frame.subarray(2, 6);
        const payload = Buffer.from(frame.subarray(6, 6 + length));
        for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] ?? 0) ^ (key[i & 3] ?? 0);
        socket.end(Buffer.concat([Buffer.from([0x88, payload.length]), payload]));
      });
    });
  });
  return `ws://127.0.0.1:${await httpUp(server)}/`;
}

describe('readyState rules, as ws', () => {
  it('send() and ping() throw while CONNECTING; after close they call back with an error', async () => {
    const { url } = await wsServer();
    for (const ws of bothClients(url)) {
      expect(() => ws.send('too early')).toThrow(
        'WebSocket is not open: readyState 0 (CONNECTING)',
      );
      expect(() => ws.ping()).toThrow(/readyState 0/);
      await opened(ws);
      ws.close();
      const error = await new Promise<Error | undefined>((resolve) => ws.send('late', resolve));
      expect(error?.message).toMatch(/readyState 2 \(CLOSING\)/);
    }
  });
});

describe('close codes after a protocol error', () => {
  it('the ws-like close reports the code netrx sent (1002, 1007); WHATWG onclose says 1006', async () => {
    // A fragmented ping (1002) and a text frame with bad UTF-8 (1007), from the server.
    const cases: [Buffer, number][] = [
      [Buffer.from([0x09, 0x00]), 1002],
      [Buffer.from([0x81, 0x02, 0xc3, 0x28]), 1007],
    ];
    for (const [frame, expected] of cases) {
      const url = await rawServer(frame);
      // ws 8.23.0 sends the code but reports 1006: it stops reading once it failed the
      // connection, so it never sees the peer's echo. netrx reports the code it sent
      // (docs/websocket.md lists the difference).
      const wsClient = track(new WS(url, { perMessageDeflate: false }));
      expect((await closeOf(wsClient)).code).toBe(1006);
      const netrxClient = track(new WebSocket(url, { perMessageDeflate: false }));
      const netrxClose = closeOf(netrxClient);
      const domClose = new Promise<{ code: number; wasClean: boolean }>((resolve) => {
        netrxClient.onclose = (e) => resolve({ code: e.code, wasClean: e.wasClean });
      });
      expect((await netrxClose).code).toBe(expected);
      expect(await domClose).toEqual({ code: 1006, wasClean: false });
    }
  });

  it('maxPayload: the server sends 1009 (ws reports 1006 on its side, netrx 1009)', async () => {
    for (const [start, reported] of [
      [netrxServer, 1009],
      [wsServer, 1006],
    ] as const) {
      const { wss, url } = await start({ maxPayload: 1000 });
      const serverClose = new Promise<number>((resolve) =>
        (wss as WebSocketServer).once('connection', (ws: WebSocket) => {
          ws.on('error', () => undefined);
          ws.once('close', (code: number) => resolve(code));
        }),
      );
      const ws = new WS(url);
      cleanups.push(() => ws.terminate());
      ws.on('error', () => undefined);
      await opened(ws);
      ws.send(Buffer.alloc(2000));
      expect((await closeOf(ws)).code).toBe(1009);
      expect(await serverClose).toBe(reported);
    }
  });
});

describe('binaryType', () => {
  it('nodebuffer, arraybuffer, fragments and blob; an invalid value is ignored', async () => {
    const { wss, url } = await wsServer();
    wss.on('connection', (ws) =>
      ws.on('message', (d, isBinary) => ws.send(d, { binary: isBinary })),
    );
    for (const ws of bothClients(url)) {
      await opened(ws);
      const seen: string[] = [];
      for (const type of ['nodebuffer', 'arraybuffer', 'fragments', 'blob'] as const) {
        ws.binaryType = type;
        const got = new Promise<unknown>((resolve) => (ws as WebSocket).once('message', resolve));
        ws.send(new Uint8Array([1, 2, 3]));
        const data = await got;
        seen.push(
          Buffer.isBuffer(data)
            ? 'Buffer'
            : data instanceof ArrayBuffer
              ? 'ArrayBuffer'
              : Array.isArray(data)
                ? `Buffer[${data.length}]`
                : data instanceof Blob
                  ? 'Blob'
                  : typeof data,
        );
      }
      (ws as { binaryType: string }).binaryType = 'nonsense';
      expect(ws.binaryType).toBe('blob');
      expect(seen).toEqual(['Buffer', 'ArrayBuffer', 'Buffer[1]', 'Blob']);
    }
  });
});

describe('ping and pong', () => {
  it("'ping' with its data, automatic pongs, and autoPong: false", async () => {
    const { wss, url } = await wsServer();
    const pongs: string[] = [];
    wss.on('connection', (ws) => {
      ws.on('pong', (data) => pongs.push(data.toString()));
      ws.ping('are you there');
    });
    const auto = new WebSocket(url);
    cleanups.push(() => auto.terminate());
    const ping = await new Promise<Buffer>((resolve) => auto.once('ping', resolve));
    expect(ping.toString()).toBe('are you there');
    while (pongs.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(pongs).toEqual(['are you there']);
    const manual = new WebSocket(url, { autoPong: false });
    cleanups.push(() => manual.terminate());
    const data = await new Promise<Buffer>((resolve) => manual.once('ping', resolve));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(pongs).toEqual(['are you there']);
    manual.pong(Buffer.concat([data, Buffer.from('!')]));
    while (pongs.length === 1) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(pongs).toEqual(['are you there', 'are you there!']);
  });

  it("the server sees 'pong' with the data of its ping(data)", async () => {
    const { wss, url } = await netrxServer();
    const pong = new Promise<string>((resolve) =>
      wss.once('connection', (ws: WebSocket) => {
        ws.on('pong', (d: Buffer) => resolve(d.toString()));
        ws.ping('hb-1');
      }),
    );
    track(new WS(url));
    expect(await pong).toBe('hb-1');
  });
});

describe('pause() and resume()', () => {
  it('holds messages while paused', async () => {
    const { wss, url } = await wsServer();
    wss.on('connection', (ws) => {
      for (let i = 0; i < 5; i++) ws.send(`m${i}`);
    });
    const ws = new WebSocket(url);
    cleanups.push(() => ws.terminate());
    const got: string[] = [];
    ws.on('message', (d: Buffer) => {
      got.push(d.toString());
      if (got.length === 1) ws.pause();
    });
    await opened(ws);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ws.isPaused).toBe(true);
    expect(got).toEqual(['m0']);
    ws.resume();
    while (got.length < 5) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(got).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });
});

describe('server options and events', () => {
  it('verifyClient(info, cb), the asynchronous form, refuses with a code and headers', async () => {
    const { url } = await netrxServer({
      verifyClient: (info, done) => {
        setImmediate(() => {
          if (info.req.headers['x-token'] === 'ok') done(true);
          else done(false, 403, 'Forbidden', { 'X-Why': 'no token' });
        });
      },
    });
    const refused = new WebSocket(url);
    refused.on('error', () => undefined);
    cleanups.push(() => refused.terminate());
    const response = new Promise<IncomingMessage>((resolve) =>
      refused.once('unexpected-response', (_req: unknown, res: IncomingMessage) => resolve(res)),
    );
    const res = await response;
    res.resume();
    expect(res.statusCode).toBe(403);
    expect(res.headers['x-why']).toBe('no token');
    expect((await closeOf(refused)).code).toBe(1006);
    const accepted = new WebSocket(url, { headers: { 'X-Token': 'ok' } });
    cleanups.push(() => accepted.terminate());
    await opened(accepted);
  });

  it("'headers' lets the application add to the 101; the client sees it in 'upgrade'", async () => {
    const { wss, url } = await netrxServer();
    wss.on('headers', (lines: string[], request: IncomingMessage) => {
      lines.push(`Set-Cookie: seen=${request.url ?? ''}`);
    });
    for (const ws of bothClients(`${url}here`)) {
      const open = opened(ws);
      const res = await new Promise<IncomingMessage>((resolve) =>
        (ws as WebSocket).once('upgrade', resolve),
      );
      expect(res.headers['set-cookie']).toEqual(['seen=/here']);
      await open;
    }
  });

  it("'wsClientError' hands a bad upgrade to the application", async () => {
    const { wss, url } = await netrxServer();
    const seen = new Promise<{ message: string; socket: Duplex }>((resolve) =>
      wss.once('wsClientError', (error: Error, socket: Duplex) =>
        resolve({ message: error.message, socket }),
      ),
    );
    const socket = connect(Number(new URL(url).port), '127.0.0.1');
    cleanups.push(() => void socket.destroy());
    socket.write(
      'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n',
    );
    const { message, socket: given } = await seen;
    expect(message).toMatch(/version/i);
    given.end('HTTP/1.1 418 I am a teapot\r\n\r\n');
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (d) => (text += d.toString()));
      socket.on('close', () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 418/);
  });

  it('clientTracking: false keeps no clients set', async () => {
    const { wss, url } = await netrxServer({ clientTracking: false });
    const connected = new Promise((resolve) => wss.once('connection', resolve));
    track(new WS(url));
    await connected;
    expect(wss.clients.size).toBe(0);
  });

  it('skipUTF8Validation accepts text that is not UTF-8, as ws does', async () => {
    for (const start of [netrxServer, wsServer] as const) {
      const { wss, url } = await start({ skipUTF8Validation: true });
      const got = new Promise<Buffer>((resolve) =>
        (wss as WebSocketServer).once('connection', (ws: WebSocket) => ws.once('message', resolve)),
      );
      const socket = connect(Number(new URL(url).port), '127.0.0.1');
      cleanups.push(() => void socket.destroy());
      socket.write(
        'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      // A masked text frame (mask 0) carrying C3 28, which is not UTF-8.
      socket.write(Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0xc3, 0x28]));
      expect([...(await got)]).toEqual([0xc3, 0x28]);
    }
  });
});

describe('client options and events', () => {
  it("'unexpected-response' replaces the error when someone listens", async () => {
    const http = createServer((_req, res) => res.writeHead(418).end('teapot'));
    const url = `ws://127.0.0.1:${await httpUp(http)}/`;
    for (const ws of bothClients(url)) {
      const errors: Error[] = [];
      ws.on('error', (e: Error) => errors.push(e));
      const close = closeOf(ws);
      const status = new Promise<number>((resolve) =>
        (ws as WebSocket).once(
          'unexpected-response',
          (req: { destroy(): void }, res: IncomingMessage) => {
            resolve(res.statusCode ?? 0);
            res.resume();
            req.destroy();
          },
        ),
      );
      expect(await status).toBe(418);
      // ws stays CONNECTING after the application aborted the request; netrx closes (1006)
      // without an error: the application chose to handle the response.
      if (ws instanceof WebSocket) {
        expect((await close).code).toBe(1006);
        expect(errors).toEqual([]);
      }
    }
  });

  it('followRedirects and maxRedirects, with a redirect event', async () => {
    const { url: target } = await netrxServer();
    const http = createServer((req, res) => {
      const hop = Number(/hop=(\d+)/.exec(req.url ?? '')?.[1] ?? '0');
      res.writeHead(302, { Location: hop >= 2 ? target : `/?hop=${hop + 1}` }).end();
    });
    const url = `ws://127.0.0.1:${await httpUp(http)}/?hop=0`;
    const follows = new WebSocket(url, { followRedirects: true });
    cleanups.push(() => follows.terminate());
    const hops: string[] = [];
    follows.on('redirect', (location: string) => hops.push(location));
    await opened(follows);
    expect(hops).toHaveLength(3);
    expect(follows.url).toBe(target);
    const limited = new WebSocket(url, { followRedirects: true, maxRedirects: 1 });
    cleanups.push(() => limited.terminate());
    expect((await errorOf(limited)).message).toMatch(/redirects/i);
    const refuses = new WebSocket(url);
    cleanups.push(() => refuses.terminate());
    expect((await errorOf(refuses)).message).toMatch(/302/);
  });

  it('user-info in the URL becomes Basic authorization, as in ws', async () => {
    const { wss, url } = await netrxServer();
    const seen: string[] = [];
    wss.on('connection', (_ws: WebSocket, req: IncomingMessage) =>
      seen.push(req.headers.authorization ?? ''),
    );
    const withAuth = url.replace('ws://', 'ws://user:secret@');
    for (const ws of bothClients(withAuth)) await opened(ws);
    const expected = `Basic ${Buffer.from('user:secret').toString('base64')}`;
    expect(seen).toEqual([expected, expected]);
  });

  it('handshakeTimeout gives up on a server that never answers', async () => {
    const silent = createTcpServer((socket: Socket) => {
      socket.on('error', () => undefined);
      cleanups.push(() => void socket.destroy());
    });
    const url = `ws://127.0.0.1:${await httpUp(silent)}/`;
    for (const ws of bothClients(url, { handshakeTimeout: 100 })) {
      expect((await errorOf(ws)).message).toMatch(/timed out/i);
    }
  });

  it('perMessageDeflate objects on both sides negotiate what they ask', async () => {
    const { wss, url } = await netrxServer({
      perMessageDeflate: { serverNoContextTakeover: true, clientMaxWindowBits: 10, threshold: 16 },
    });
    wss.on('connection', (ws: WebSocket) =>
      ws.on('message', (d: Buffer, isBinary: boolean) => ws.send(d, { binary: isBinary })),
    );
    const ws = new WebSocket(url, {
      perMessageDeflate: { clientNoContextTakeover: true, clientMaxWindowBits: 10, threshold: 0 },
    });
    cleanups.push(() => ws.terminate());
    await opened(ws);
    expect(ws.extensions).toMatch(/permessage-deflate/);
    expect(ws.extensions).toMatch(/server_no_context_takeover/);
    expect(ws.extensions).toMatch(/client_max_window_bits=10/);
    const text = 'compressible '.repeat(2000);
    for (let i = 0; i < 3; i++) {
      const echoed = new Promise<Buffer>((resolve) => ws.once('message', resolve));
      ws.send(text);
      expect((await echoed).toString()).toBe(text);
    }
  });
});

describe('send options', () => {
  // Issue 8 follow-up: netrx sent `compress: false` as a first fragment and
  // an empty final frame (two frames, 0x02 then 0x80); ws sends one frame.
  it('compress: false sends one uncompressed frame on a deflate connection, as ws does', async () => {
    const { wss, url } = await netrxServer({ perMessageDeflate: { threshold: 0 } });
    const wire: Buffer[][] = [];
    const received: Buffer[] = [];
    wss.on('connection', (ws: WebSocket) => {
      const mine: Buffer[] = [];
      wire.push(mine);
      ws.socket?.prependListener('data', (chunk: Buffer) => mine.push(Buffer.from(chunk)));
      ws.on('message', (data: Buffer) => received.push(data));
    });
    const payload = Buffer.alloc(4000, 0x41);
    for (const ws of bothClients(url, { perMessageDeflate: { threshold: 0 } })) {
      await opened(ws);
      const before = received.length;
      ws.send(payload);
      ws.send(payload, { compress: false });
      while (received.length < before + 2) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const headers = wire.map((chunks) => {
      const decoder = new FrameDecoder({ expectMasked: true, reservedBits: ReservedBit.Rsv1 });
      const out: string[] = [];
      decoder.push(Buffer.concat(chunks));
      for (let e = decoder.next(); e !== undefined; e = decoder.next()) {
        if (e.type === 'header') {
          const h = e.header;
          out.push(
            `${h.fin ? 'fin' : '-'} ${h.rsv1 ? 'rsv1' : '-'} ${h.opcode} ${h.rsv1 ? '' : h.payloadLength}`,
          );
        }
      }
      return out;
    });
    // The ws client, then the netrx client: the same frames.
    const expected = ['fin rsv1 2 ', 'fin - 2 4000'];
    expect(headers).toEqual([expected, expected]);
    expect(received.map((m) => m.equals(payload))).toEqual([true, true, true, true]);
  });
});

describe('redirects and credentials', () => {
  it('drops Authorization and Cookie when a redirect leads to another host, as ws does', async () => {
    const { wss, url: target } = await netrxServer();
    const seen: (string | undefined)[] = [];
    wss.on('connection', (_ws: WebSocket, req: IncomingMessage) =>
      seen.push(req.headers.authorization ?? req.headers.cookie),
    );
    // 127.0.0.1 and localhost are different hosts to a URL.
    const http = createServer((_req, res) =>
      res.writeHead(302, { Location: target.replace('127.0.0.1', 'localhost') }).end(),
    );
    const url = `ws://127.0.0.1:${await httpUp(http)}/`;
    const headers = { Authorization: 'Bearer secret', Cookie: 'session=1' };
    for (const ws of bothClients(url, { followRedirects: true, headers })) await opened(ws);
    expect(seen).toEqual([undefined, undefined]);
  });
});

describe('subprotocol without handleProtocols', () => {
  // ws 8.23.0 selects the first protocol the client offered; a client that
  // offered protocols fails the handshake when the server selects none.
  it('selects the first offered protocol for the ws 8.23.0 client', async () => {
    const { wss, url } = await netrxServer();
    const serverProtocol = new Promise<string>((resolve) =>
      wss.once('connection', (ws) => resolve(ws.protocol)),
    );
    const client = track(new WS(url, ['chat', 'x']));
    const opened = await new Promise<string>((resolve) => {
      client.once('open', () => resolve('open'));
      client.once('error', (error) => resolve(`error: ${error.message}`));
    });
    expect(opened).toBe('open');
    expect(client.protocol).toBe('chat');
    expect(await serverProtocol).toBe('chat');
  });

  it('selects the first offered protocol for the netrx client', async () => {
    const { url } = await netrxServer();
    const client = track(new WebSocket(url, ['chat', 'x']));
    const opened = await new Promise<string>((resolve) => {
      client.once('open', () => resolve('open'));
      client.once('error', (error) => resolve(`error: ${error.message}`));
    });
    expect(opened).toBe('open');
    expect(client.protocol).toBe('chat');
  });

  it('matches ws 8.23.0 as the server', async () => {
    const { url } = await wsServer();
    const client = track(new WebSocket(url, ['chat', 'x']));
    await new Promise((resolve) => client.once('open', resolve));
    expect(client.protocol).toBe('chat');
  });
});

describe('a server that chooses no subprotocol of those offered', () => {
  // ws 8.23.0 (lib/websocket.js): a client that offered subprotocols fails
  // the handshake with 'Server sent no subprotocol' ('error', then 'close'
  // 1006). WHATWG's "establish a WebSocket connection" accepts it (only a
  // protocol that was not offered fails), and so does WebSocketStream.
  const servers = [
    ['netrx', () => netrxServer({ handleProtocols: () => false })],
    ['ws 8.23.0', () => wsServer({ handleProtocols: () => false })],
  ] as const;

  for (const [serverName, server] of servers) {
    it(`fails the ws-like handshake as ws 8.23.0 does (${serverName} server)`, async () => {
      const { url } = await server();
      const outcomes: { error?: string; code?: number; opened?: true }[] = [];
      // One after the other, each made when the loop reaches it (as bothClients does).
      const clients = [
        (): AnyWs => new WS(url, ['chat']),
        (): AnyWs => new WebSocket(url, ['chat']),
      ];
      for (const make of clients) {
        const client = track(make());
        const closed = closeOf(client);
        const first = await new Promise<Error | undefined>((resolve) => {
          (client as WebSocket).once('open', () => resolve(undefined));
          (client as WebSocket).once('error', resolve);
        });
        if (first === undefined) outcomes.push({ opened: true });
        else outcomes.push({ error: first.message, code: (await closed).code });
      }
      const expected = { error: 'Server sent no subprotocol', code: 1006 };
      expect(outcomes).toEqual([expected, expected]);
    });

    it(`opens a WebSocketStream with protocol '' as WHATWG does (${serverName} server)`, async () => {
      const { url } = await server();
      const stream = new WebSocketStream(url, { protocols: ['chat'] });
      cleanups.push(() => stream.close());
      const info = await stream.opened;
      expect(info.protocol).toBe('');
    });
  }
});

describe('close() with a code that may not be sent', () => {
  // ws 8.23.0 throws TypeError for the code and RangeError for a reason over 123 bytes.
  const cases: [number | undefined, string | undefined][] = [
    [1005, undefined],
    [1006, undefined],
    [999, undefined],
    [1004, undefined],
    [2999, undefined],
    [5000, undefined],
    [1000, 'x'.repeat(124)],
  ];

  async function thrownBy(make: (url: string) => AnyWs, url: string): Promise<string[]> {
    const names: string[] = [];
    for (const [code, reason] of cases) {
      const ws = track(make(url));
      await new Promise((resolve) => ws.once('open', resolve));
      try {
        ws.close(code, reason);
        names.push(`${String(code)}: no throw`);
      } catch (error) {
        names.push(`${String(code)}: ${(error as Error).constructor.name}`);
      }
    }
    return names;
  }

  it('throws what ws throws', async () => {
    const { url } = await netrxServer();
    const netrx = await thrownBy((u) => new WebSocket(u), url);
    const ws = await thrownBy((u) => new WS(u), url);
    expect(ws).toEqual([
      '1005: TypeError',
      '1006: TypeError',
      '999: TypeError',
      '1004: TypeError',
      '2999: TypeError',
      '5000: TypeError',
      '1000: RangeError',
    ]);
    expect(netrx).toEqual(ws);
  });
});
