import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WS, { WebSocketServer as WsServer } from 'ws';
import { WebSocket, WebSocketServer, echoConnection } from './index.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function echoServer(
  options: Partial<ConstructorParameters<typeof WebSocketServer>[0]> = {},
): Promise<{ server: WebSocketServer; url: string }> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  server.on('connection', echoConnection);
  await new Promise((resolve) => server.once('listening', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const c of server.clients) c.terminate();
        server.close(() => resolve());
      }),
  );
  return { server, url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

function opened<T extends { once(e: 'open', f: () => void): unknown }>(ws: T): Promise<T> {
  return new Promise((resolve) => ws.once('open', () => resolve(ws)));
}

function nextMessage(ws: WS | WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) =>
    (ws as WS).once('message', (data: Buffer, isBinary: boolean) => resolve({ data, isBinary })),
  );
}

function closed(ws: WS | WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    (ws as WS).once('close', (code: number, reason: Buffer) =>
      resolve({ code, reason: reason.toString() }),
    ),
  );
}

describe('WebSocketServer with the ws package as client (ws 8.23.0)', () => {
  it('echoes text as text and binary as binary, small and large', async () => {
    const { url } = await echoServer();
    const client = await opened(new WS(url));
    cleanups.push(() => client.terminate());
    client.send('héllo €');
    expect(await nextMessage(client)).toEqual({ data: Buffer.from('héllo €'), isBinary: false });
    const big = Buffer.alloc(3 << 20).map((_, i) => i & 0xff);
    client.send(big);
    const echoed = await nextMessage(client);
    expect(echoed.isBinary).toBe(true);
    expect(echoed.data.equals(big)).toBe(true);
  });

  it('runs the closing handshake with the client code', async () => {
    const { server, url } = await echoServer();
    const serverSide = new Promise<WebSocket>((resolve) => server.once('connection', resolve));
    const client = await opened(new WS(url));
    const ws = await serverSide;
    const serverClosed = closed(ws);
    client.close(4000, 'bye');
    expect(await closed(client)).toEqual({ code: 4000, reason: 'bye' });
    expect(await serverClosed).toEqual({ code: 4000, reason: 'bye' });
    expect(server.clients.size).toBe(0);
  });

  it('negotiates permessage-deflate when enabled and echoes compressed messages', async () => {
    const { url } = await echoServer({ perMessageDeflate: true });
    const client = await opened(new WS(url, { perMessageDeflate: { threshold: 0 } }));
    cleanups.push(() => client.terminate());
    expect(client.extensions).toContain('permessage-deflate');
    const text = 'compress me '.repeat(1000);
    for (let i = 0; i < 3; i++) {
      client.send(text);
      expect((await nextMessage(client)).data.toString()).toBe(text);
    }
  });

  it('answers a bad handshake with 426 and the supported version', async () => {
    const { url } = await echoServer();
    const port = new URL(url).port;
    const socket = connect(Number(port), '127.0.0.1');
    cleanups.push(() => void socket.destroy());
    socket.write(
      'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n',
    );
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (d) => (text += d.toString()));
      socket.on('close', () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 426 /);
    expect(answer).toMatch(/Sec-WebSocket-Version: 13/i);
  });

  it('fails a protocol violation with 1002 and stays up for others', async () => {
    const { server, url } = await echoServer();
    const errors: Error[] = [];
    server.on('connection', (ws: WebSocket) => ws.on('error', (e: Error) => errors.push(e)));
    const port = Number(new URL(url).port);
    const socket = connect(port, '127.0.0.1');
    cleanups.push(() => void socket.destroy());
    socket.write(
      'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    // An unmasked text frame from a client.
    socket.write(Buffer.from([0x81, 0x02, 0x68, 0x69]));
    const bytes = await new Promise<Buffer>((resolve) => {
      const parts: Buffer[] = [];
      socket.on('data', (d: Buffer) => parts.push(d));
      socket.on('close', () => resolve(Buffer.concat(parts)));
    });
    const frame = bytes.subarray(bytes.indexOf('\r\n\r\n') + 4);
    expect([...frame]).toEqual([0x88, 0x02, 0x03, 0xea]);
    expect(errors.map((e) => (e as Error & { code?: string }).code)).toEqual([
      'ERR_WS_FRAME_NOT_MASKED',
    ]);
    const other = await opened(new WS(url));
    cleanups.push(() => other.terminate());
    other.send('still here');
    expect((await nextMessage(other)).data.toString()).toBe('still here');
  });

  it('writes many small sends made in one turn in batches, not one write each', async () => {
    const { server, url } = await echoServer();
    const serverSide = new Promise<WebSocket>((resolve) => server.once('connection', resolve));
    const client = await opened(new WS(url));
    cleanups.push(() => client.terminate());
    const ws = await serverSide;
    const socket = ws.socket;
    if (socket === undefined) throw new Error('no socket');
    let writes = 0;
    const write = socket.write.bind(socket);
    socket.write = ((...args: Parameters<typeof write>) => {
      writes++;
      return write(...args);
    }) as typeof socket.write;
    let received = 0;
    const all = new Promise<void>((resolve) =>
      client.on('message', () => {
        if (++received === 1000) resolve();
      }),
    );
    for (let i = 0; i < 1000; i++) ws.send(`message ${i}`);
    await all;
    // One write per 32 frames at most (the transport flushes full batches mid-turn).
    expect(writes).toBeGreaterThan(0);
    expect(writes).toBeLessThanOrEqual(Math.ceil(1000 / 32) + 1);
  });
});

describe('WebSocket client', () => {
  it('talks to the ws package server (ws 8.23.0), WHATWG style', async () => {
    const wss = new WsServer({ port: 0, host: '127.0.0.1' });
    await new Promise((resolve) => wss.once('listening', resolve));
    cleanups.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    wss.on('connection', (ws) =>
      ws.on('message', (d, isBinary) => ws.send(d, { binary: isBinary })),
    );
    const port = (wss.address() as AddressInfo).port;
    const client = new WebSocket(`ws://127.0.0.1:${port}/path?q=1`, ['chat']);
    cleanups.push(() => client.terminate());
    const events: string[] = [];
    await new Promise<void>((resolve) => {
      client.onopen = () => {
        events.push('open');
        client.send('text ✓');
        client.send(new Uint8Array([1, 2, 3]));
      };
      client.onmessage = (e) => {
        events.push(
          typeof e.data === 'string' ? e.data : `bytes ${[...(e.data as Buffer)].join(',')}`,
        );
        if (events.length === 3) resolve();
      };
    });
    expect(events).toEqual(['open', 'text ✓', 'bytes 1,2,3']);
    const closeEvent = new Promise<{ code: number; wasClean: boolean }>((resolve) => {
      client.onclose = (e) => resolve({ code: e.code, wasClean: e.wasClean });
    });
    client.close(1000);
    expect(await closeEvent).toEqual({ code: 1000, wasClean: true });
    expect(client.readyState).toBe(WebSocket.CLOSED);
  });

  it('talks to the netrx server with deflate, large messages and arraybuffer binaryType', async () => {
    const { url } = await echoServer({ perMessageDeflate: true });
    const client = await opened(new WebSocket(url));
    cleanups.push(() => client.terminate());
    expect(client.extensions).toContain('permessage-deflate');
    client.binaryType = 'arraybuffer';
    const big = new Uint8Array(2 << 20).map((_, i) => (i * 31) & 0xff);
    const got = new Promise<ArrayBuffer>((resolve) =>
      client.once('message', (data: ArrayBuffer) => resolve(data)),
    );
    client.send(big);
    // Buffer.equals, not toEqual: a deep compare of 2 MiB takes seconds.
    expect(Buffer.from(await got).equals(big)).toBe(true);
  });

  it('reports a refused handshake as error then close 1006', async () => {
    const http: Server = createServer((_req, res) => res.writeHead(403).end());
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => http.close(() => resolve())));
    const client = new WebSocket(`ws://127.0.0.1:${(http.address() as AddressInfo).port}/`);
    const error = new Promise<string>((resolve) =>
      client.on('error', (e: Error) => resolve(e.message)),
    );
    const close = closed(client);
    expect(await error).toMatch(/403/);
    expect((await close).code).toBe(1006);
  });

  it('rejects URLs that are not ws:/wss:', () => {
    expect(() => new WebSocket('ftp://example.com/')).toThrow(SyntaxError);
  });
});

describe('backpressure', () => {
  it('says backpressure while the peer does not read, drains after, and drops over the cap', async () => {
    const { server, url } = await echoServer({
      backpressureAbove: 64 * 1024,
      maxBackpressure: 8 << 20,
    });
    const serverSide = new Promise<WebSocket>((resolve) => server.once('connection', resolve));
    const client = await opened(new WS(url));
    cleanups.push(() => client.terminate());
    const ws = await serverSide;
    (client as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    const results = new Set<string>();
    const chunk = Buffer.alloc(16 * 1024, 1);
    // With callbacks: a refused send without one fails the connection (send-order.test.ts).
    const refusals: Error[] = [];
    for (let i = 0; i < 1024; i++) {
      results.add(ws.send(chunk, (error) => void (error !== undefined && refusals.push(error))));
    }
    expect(results).toEqual(new Set(['sent', 'backpressure', 'dropped']));
    expect(ws.bufferedAmount).toBeGreaterThan(1 << 20);
    expect(ws.bufferedAmount).toBeLessThanOrEqual(8 << 20);
    const drained = new Promise<void>((resolve) => ws.once('drain', resolve));
    (client as unknown as { _socket: { pause(): void; resume(): void } })._socket.resume();
    await drained;
    expect(ws.bufferedAmount).toBeLessThanOrEqual(64 * 1024);
    expect(refusals.length).toBe(ws.sendsRefused);
    expect(ws.readyState).toBe(1);
  });
});

describe("binaryType 'fragments' and the echo (issue 8, large messages)", () => {
  it('a message split across reads comes as views of them; switching back gathers again', async () => {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const accepted = new Promise<WebSocket>((resolve) => server.once('connection', resolve));
    const client = await opened(
      new WS(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`),
    );
    cleanups.push(() => client.terminate());
    const ws = await accepted;
    cleanups.push(() => ws.terminate());
    ws.binaryType = 'fragments';
    const big = Buffer.alloc(1 << 20).map((_, i) => (i * 13) & 0xff);
    const got = new Promise<unknown>((resolve) => ws.once('message', resolve));
    client.send(big);
    const fragments = (await got) as Buffer[];
    expect(Array.isArray(fragments)).toBe(true);
    expect(fragments.length).toBeGreaterThan(1);
    expect(fragments.every((f) => Buffer.isBuffer(f))).toBe(true);
    expect(Buffer.concat(fragments).equals(big)).toBe(true);
    ws.binaryType = 'nodebuffer';
    const again = new Promise<unknown>((resolve) => ws.once('message', resolve));
    client.send(big);
    const one = (await again) as Buffer;
    expect(Buffer.isBuffer(one) && one.equals(big)).toBe(true);
  });

  it('echoConnection echoes large binary (sent back as its pieces) and text intact, in order', async () => {
    const { url } = await echoServer();
    const client = await opened(new WS(url));
    cleanups.push(() => client.terminate());
    const sizes = [5, 1 << 20, 70_000, 3 << 20, 0, 200_000];
    const sent = sizes.map((n, i) => Buffer.alloc(n).map((_, j) => (i + j * 31) & 0xff));
    const echoes: { data: Buffer; isBinary: boolean }[] = [];
    const all = new Promise<void>((resolve) =>
      client.on('message', (data: Buffer, isBinary: boolean) => {
        echoes.push({ data, isBinary });
        if (echoes.length === sent.length + 1) resolve();
      }),
    );
    for (const b of sent) client.send(b);
    client.send('x'.repeat(300_000));
    await all;
    sent.forEach((b, i) => {
      expect(echoes[i]?.isBinary).toBe(true);
      expect(echoes[i]?.data.equals(b)).toBe(true);
    });
    expect(echoes[sent.length]).toEqual({
      data: Buffer.from('x'.repeat(300_000)),
      isBinary: false,
    });
  });
});
