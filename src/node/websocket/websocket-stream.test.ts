/**
 * `WebSocketStream` (WHATWG draft): opening, messages both ways, the close
 * and abort semantics of the draft, and the server side over HTTP/1.1 and
 * HTTP/2 (RFC 8441). Real loopback sockets.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { http2Pair, type Http2Kind } from './http2-pair.js';
import { WebSocket } from './websocket.js';
import { WebSocketError } from './websocket-error.js';
import { WebSocketStream } from './websocket-stream.js';
import {
  closeOf,
  echoStream,
  readMessages,
  streamServer,
  type StreamServer,
} from './websocket-stream-support.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function server(...args: Parameters<typeof streamServer>): Promise<StreamServer> {
  const s = await streamServer(...args);
  cleanups.push(() => s.close());
  return s;
}

function client(url: string, options?: ConstructorParameters<typeof WebSocketStream>[1]) {
  const stream = new WebSocketStream(url, options);
  cleanups.push(() => stream.close());
  return stream;
}

/** A TCP server that accepts and never answers: a handshake that hangs. */
async function silentServer(): Promise<{ url: string; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const tcp: Server = createServer((socket) => {
    sockets.push(socket);
    // Read (and ignore) the request: a socket nobody reads never sees the peer's FIN.
    socket.resume();
  });
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        tcp.close(() => resolve());
      }),
  );
  return { url: `ws://127.0.0.1:${(tcp.address() as AddressInfo).port}/`, sockets };
}

describe('WebSocketStream client', () => {
  it('opens, reports protocol and extensions, and echoes text and bytes', async () => {
    const s = await server({
      perMessageDeflate: true,
      handleProtocols: (offered) => (offered.has('b') ? 'b' : false),
    });
    const ws = client(s.url, { protocols: ['a', 'b'] });
    expect(ws.url).toBe(s.url);
    void s.next().then(({ stream }) => echoStream(stream));
    const { readable, writable, protocol, extensions } = await ws.opened;
    expect(protocol).toBe('b');
    expect(extensions).toContain('permessage-deflate');
    const writer = writable.getWriter();
    const bytes = new Uint8Array([0, 1, 2, 255]);
    await writer.write('héllo €');
    await writer.write(bytes);
    await writer.write(bytes.buffer);
    await writer.write(new DataView(bytes.buffer, 1, 2));
    const reader = readable.getReader();
    const echoed = await readMessages(reader, 4);
    expect(echoed[0]).toBe('héllo €');
    expect(echoed.slice(1).map((m) => [...(m as Uint8Array)])).toEqual([
      [0, 1, 2, 255],
      [0, 1, 2, 255],
      [1, 2],
    ]);
    expect(echoed[1]).toBeInstanceOf(Uint8Array);
  });

  it('sends a copy: changing the buffer after write() does not change the message', async () => {
    const s = await server();
    const ws = client(s.url);
    void s.next().then(({ stream }) => echoStream(stream));
    const { readable, writable } = await ws.opened;
    const bytes = new Uint8Array([7, 7, 7]);
    const writer = writable.getWriter();
    const written = writer.write(bytes);
    bytes.fill(0);
    await written;
    const [echoed] = await readMessages(readable.getReader(), 1);
    expect([...(echoed as Uint8Array)]).toEqual([7, 7, 7]);
  });

  it('a write that is not a string or bytes errors the writable with a TypeError', async () => {
    const s = await server();
    const ws = client(s.url);
    const { writable } = await ws.opened;
    const writer = writable.getWriter();
    await expect(writer.write(42 as unknown as string)).rejects.toBeInstanceOf(TypeError);
  });

  it('a peer close resolves closed, ends the readable after what was queued, errors the writable', async () => {
    const s = await server({}, {}, false);
    const ws = client(s.url);
    const { raw } = await s.next();
    const { readable, writable } = await ws.opened;
    raw.send('last words');
    raw.close(4000, 'bye');
    expect(await ws.closed).toEqual({ closeCode: 4000, reason: 'bye' });
    const reader = readable.getReader();
    expect(await reader.read()).toEqual({ value: 'last words', done: false });
    expect(await reader.read()).toEqual({ value: undefined, done: true });
    const error = await writable
      .getWriter()
      .write('late')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebSocketError);
    expect((error as WebSocketError).closeCode).toBe(4000);
  });

  it('a close frame without a status resolves closed with 1005', async () => {
    const s = await server({}, {}, false);
    const ws = client(s.url);
    const { raw } = await s.next();
    await ws.opened;
    raw.close();
    expect(await ws.closed).toEqual({ closeCode: 1005, reason: '' });
  });

  it('a connection dropped without a closing handshake rejects closed and errors both sides (1006)', async () => {
    const s = await server({}, {}, false);
    const ws = client(s.url);
    const { raw } = await s.next();
    const { readable, writable } = await ws.opened;
    raw.terminate();
    const closed = await ws.closed.catch((e: unknown) => e);
    expect(closed).toBeInstanceOf(WebSocketError);
    expect(closed).toMatchObject({ name: 'WebSocketError', closeCode: 1006, reason: '' });
    await expect(readable.getReader().read()).rejects.toBe(closed);
    await expect(writable.getWriter().write('x')).rejects.toBe(closed);
  });

  it('a connection that cannot be made rejects opened and closed with a WebSocketError (closeCode null)', async () => {
    const tcp = createServer();
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    const port = (tcp.address() as AddressInfo).port;
    await new Promise<void>((resolve) => tcp.close(() => resolve()));
    const ws = client(`ws://127.0.0.1:${port}/`);
    const opened = await ws.opened.catch((e: unknown) => e);
    expect(opened).toBeInstanceOf(WebSocketError);
    // As Chromium 156: no close code for a connection that never opened.
    expect((opened as WebSocketError).closeCode).toBeNull();
    await expect(ws.closed).rejects.toBe(opened);
  });

  it('close({ closeCode, reason }) runs the closing handshake with that code', async () => {
    const s = await server({}, {}, false);
    const ws = client(s.url);
    const { raw } = await s.next();
    await ws.opened;
    const seen = closeOf(raw);
    ws.close({ closeCode: 4003, reason: 'done' });
    expect(await seen).toEqual({ code: 4003, reason: 'done' });
    expect(await ws.closed).toEqual({ closeCode: 4003, reason: 'done' });
  });

  it('close({ reason }) alone means 1000; close() sends no status', async () => {
    const s = await server({}, {}, false);
    const first = client(s.url);
    const { raw: firstRaw } = await s.next();
    await first.opened;
    const firstSeen = closeOf(firstRaw);
    first.close({ reason: 'only a reason' });
    expect(await firstSeen).toEqual({ code: 1000, reason: 'only a reason' });
    const second = client(s.url);
    const { raw: secondRaw } = await s.next();
    await second.opened;
    const secondSeen = closeOf(secondRaw);
    second.close();
    expect(await secondSeen).toEqual({ code: 1005, reason: '' });
  });

  it('close() checks the code and the reason as WHATWG does', async () => {
    const s = await server();
    const ws = client(s.url);
    await ws.opened;
    expect(() => ws.close({ closeCode: 1001 })).toThrow(
      expect.objectContaining({ name: 'InvalidAccessError' }),
    );
    expect(() => ws.close({ closeCode: 5000 })).toThrow(
      expect.objectContaining({ name: 'InvalidAccessError' }),
    );
    expect(() => ws.close({ closeCode: 1000, reason: 'é'.repeat(62) })).toThrow(
      expect.objectContaining({ name: 'SyntaxError' }),
    );
  });

  it('close() before the connection opened abandons it (opened rejects, closeCode null)', async () => {
    const silent = await silentServer();
    const ws = client(silent.url);
    ws.close();
    const opened = await ws.opened.catch((e: unknown) => e);
    expect(opened).toMatchObject({ name: 'WebSocketError', closeCode: null });
    await expect(ws.closed).rejects.toBe(opened);
  });

  it('a high-water mark must be finite and not negative (RangeError)', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(
        () => new WebSocketStream('ws://127.0.0.1:9/', { readableHighWaterMark: bad }),
      ).toThrow(RangeError);
      expect(
        () => new WebSocketStream('ws://127.0.0.1:9/', { writableHighWaterMark: bad }),
      ).toThrow(RangeError);
    }
  });

  it('a bad URL throws a SyntaxError', () => {
    expect(() => new WebSocketStream('http://127.0.0.1/#frag')).toThrow(SyntaxError);
    expect(() => new WebSocketStream('ftp://127.0.0.1/')).toThrow(SyntaxError);
  });
});

describe('WebSocketStream abort signal', () => {
  it('an already aborted signal rejects opened and closed with its reason, and connects nowhere', async () => {
    const silent = await silentServer();
    const controller = new AbortController();
    controller.abort(new Error('not wanted'));
    const ws = client(silent.url, { signal: controller.signal });
    expect(ws.url).toBe(silent.url);
    await expect(ws.opened).rejects.toThrow('not wanted');
    await expect(ws.closed).rejects.toThrow('not wanted');
    // A connection attempt that had started would be accepted by now: make one to compare.
    const probe = client(silent.url);
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (silent.sockets.length > 0) resolve();
        else setTimeout(check, 5);
      };
      check();
    });
    probe.close();
    expect(silent.sockets).toHaveLength(1);
  });

  it('aborting during the handshake rejects with the reason and drops the TCP connection', async () => {
    const silent = await silentServer();
    const controller = new AbortController();
    const ws = client(silent.url, { signal: controller.signal });
    while (silent.sockets.length === 0) await new Promise((r) => setTimeout(r, 5));
    const [socket] = silent.sockets;
    const dropped = new Promise((resolve) => socket?.once('close', resolve));
    controller.abort();
    const opened = await ws.opened.catch((e: unknown) => e);
    expect(opened).toMatchObject({ name: 'AbortError' });
    await expect(ws.closed).rejects.toBe(opened);
    await dropped;
  });

  it('aborting after open has no effect', async () => {
    const s = await server();
    const controller = new AbortController();
    const ws = client(s.url, { signal: controller.signal });
    void s.next().then(({ stream }) => echoStream(stream));
    const { readable, writable } = await ws.opened;
    controller.abort();
    await writable.getWriter().write('still here');
    expect(await readMessages(readable.getReader(), 1)).toEqual(['still here']);
    ws.close({ closeCode: 1000 });
    expect(await ws.closed).toEqual({ closeCode: 1000, reason: '' });
  });
});

describe('cancel and abort close the connection', () => {
  const cases: {
    name: string;
    act: (info: { readable: ReadableStream; writable: WritableStream }) => Promise<void>;
    code: number;
    reason: string;
  }[] = [
    {
      name: 'readable.cancel(WebSocketError) sends its code and reason',
      act: ({ readable }) =>
        readable.cancel(new WebSocketError('', { closeCode: 4001, reason: 'r' })),
      code: 4001,
      reason: 'r',
    },
    {
      name: 'readable.cancel(other) sends no status',
      act: ({ readable }) => readable.cancel(new Error('bored')),
      code: 1005,
      reason: '',
    },
    {
      name: 'writable.abort(WebSocketError) sends its code',
      act: ({ writable }) => writable.abort(new WebSocketError('', { closeCode: 4002 })),
      code: 4002,
      reason: '',
    },
    {
      name: 'writable.close() sends no status',
      act: ({ writable }) => writable.close(),
      code: 1005,
      reason: '',
    },
  ];
  it.each(cases)('$name', async ({ act, code, reason }) => {
    const s = await server({}, {}, false);
    const ws = client(s.url);
    const { raw } = await s.next();
    const info = await ws.opened;
    const seen = closeOf(raw);
    await act(info);
    expect(await seen).toEqual({ code, reason });
    expect(await ws.closed).toEqual({ closeCode: code, reason });
  });

  it('cancel resumes a paused connection so the closing handshake finishes', async () => {
    const s = await server({}, {}, false);
    const ws = client(s.url, { readableHighWaterMark: 0 });
    const { raw } = await s.next();
    const { readable } = await ws.opened;
    raw.send('fills the queue');
    raw.send('and more');
    // The readable's queue is full (high-water mark 0): the connection is paused.
    while (raw.bufferedAmount > 0) await new Promise((r) => setTimeout(r, 5));
    const seen = closeOf(raw);
    await readable.cancel(new WebSocketError('', { closeCode: 4004 }));
    expect(await seen).toEqual({ code: 4004, reason: '' });
    expect(await ws.closed).toEqual({ closeCode: 4004, reason: '' });
  });
});

describe('closing while the reader does not read', () => {
  it('close() reads on to see the reply; messages with no room are dropped and counted', async () => {
    const s = await server({}, {}, false);
    const ws = client(s.url, { readableHighWaterMark: 0 });
    const { raw } = await s.next();
    const { readable } = await ws.opened;
    for (let i = 0; i < 5; i++) raw.send(`m${i}`);
    while (raw.bufferedAmount > 0) await new Promise((r) => setTimeout(r, 5));
    const seen = closeOf(raw);
    ws.close({ closeCode: 4005 });
    expect(await seen).toEqual({ code: 4005, reason: '' });
    expect(await ws.closed).toEqual({ closeCode: 4005, reason: '' });
    const reader = readable.getReader();
    const queued: unknown[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) queued.push(r.value);
    // What was queued comes out in order; the rest was dropped, and counted.
    expect(queued).toEqual(['m0', 'm1', 'm2', 'm3', 'm4'].slice(0, queued.length));
    expect(queued.length).toBeGreaterThan(0);
    expect(queued.length + ws.discardedMessages).toBe(5);
  });

  it('at high-water mark 0 a message handed to a waiting read does not pause the connection', async () => {
    const s = await server({}, {}, false);
    const ws = client(s.url, { readableHighWaterMark: 0 });
    const { raw } = await s.next();
    const { readable } = await ws.opened;
    const reader = readable.getReader();
    const first = reader.read();
    raw.send('one');
    expect(await first).toEqual({ value: 'one', done: false });
    // No read is waiting now, yet the peer's close is still read: the connection was not paused.
    raw.close(4006);
    expect(await ws.closed).toEqual({ closeCode: 4006, reason: '' });
  });
});

describe('WebSocketError', () => {
  it('is a DOMException named WebSocketError with closeCode and reason', () => {
    const e = new WebSocketError('m', { closeCode: 3000, reason: 'why' });
    expect(e).toBeInstanceOf(DOMException);
    expect(e).toMatchObject({
      name: 'WebSocketError',
      message: 'm',
      closeCode: 3000,
      reason: 'why',
    });
    expect(new WebSocketError()).toMatchObject({ closeCode: null, reason: '' });
    expect(new WebSocketError('', { reason: 'x' }).closeCode).toBe(1000);
    expect(() => new WebSocketError('', { closeCode: 1006 })).toThrow(
      expect.objectContaining({ name: 'InvalidAccessError' }),
    );
  });
});

describe.each<Http2Kind | 'http/1.1'>(['http/1.1', 'h2c', 'tls'])(
  'WebSocketStream.fromWebSocket on the server (%s)',
  (kind) => {
    it('serves a stream pair per connection: echo through pipeTo, then a clean close', async () => {
      let url: string;
      let options: ConstructorParameters<typeof WebSocketStream>[1] = {};
      if (kind === 'http/1.1') {
        const s = await server();
        url = s.url;
        void s.next().then(({ stream }) => echoStream(stream));
      } else {
        const p = await http2Pair(kind, {}, { echo: false });
        cleanups.push(() => p.close());
        p.wss.on('connection', (raw: WebSocket) => {
          void echoStream(WebSocketStream.fromWebSocket(raw));
        });
        url = p.url;
        options = p.clientOptions;
      }
      const ws = client(url, options);
      const { readable, writable } = await ws.opened;
      const writer = writable.getWriter();
      const big = new Uint8Array(300_000).map((_, i) => (i * 7) & 0xff);
      void writer.write('one');
      void writer.write(big);
      await writer.write('three');
      const echoed = await readMessages(readable.getReader(), 3);
      expect(echoed[0]).toBe('one');
      expect(Buffer.from(echoed[1] as Uint8Array).equals(Buffer.from(big))).toBe(true);
      expect(echoed[2]).toBe('three');
      ws.close({ closeCode: 1000, reason: 'bye' });
      expect(await ws.closed).toEqual({ closeCode: 1000, reason: 'bye' });
    });
  },
);

describe('fromWebSocket', () => {
  it('wraps a client connection that is still connecting', async () => {
    const s = await server();
    void s.next().then(({ stream }) => echoStream(stream));
    const raw = new WebSocket(s.url);
    cleanups.push(() => raw.terminate());
    const ws = WebSocketStream.fromWebSocket(raw);
    const { readable, writable } = await ws.opened;
    await writable.getWriter().write('x');
    expect(await readMessages(readable.getReader(), 1)).toEqual(['x']);
  });
});

describe('fromWebSocket after messages arrived', () => {
  /** A server connection that has received `sent` (and a ping after it, so they are in). */
  async function serverAfter(
    sent: readonly string[],
    listen: boolean,
  ): Promise<{ raw: WebSocket; heard: string[]; peer: WebSocket }> {
    const p = await http2Pair('h2c', {}, { echo: false });
    cleanups.push(() => p.close());
    const heard: string[] = [];
    const connected = new Promise<WebSocket>((resolve) => p.wss.once('connection', resolve));
    const peer = new WebSocket(p.url, p.clientOptions);
    cleanups.push(() => peer.terminate());
    await new Promise((resolve) => peer.once('open', resolve));
    const raw = await connected;
    if (listen) raw.on('message', (data: Buffer) => heard.push(data.toString()));
    const pinged = new Promise((resolve) => raw.once('ping', resolve));
    for (const text of sent) peer.send(text);
    peer.ping();
    // Frames are read in order: once the ping is in, so are the messages before it.
    await pinged;
    return { raw, heard, peer };
  }

  // ws-review F9: before the fix this returned a stream that never saw 'early'.
  it('refuses a connection that delivered a message nobody listened to', async () => {
    const { raw } = await serverAfter(['early'], false);
    const attempt = (): WebSocketStream => WebSocketStream.fromWebSocket(raw);
    expect(attempt).toThrow(DOMException);
    expect(attempt).toThrow(/1 message\(s\) nobody listened to/);
  });

  it('hands over after messages a listener took: later ones reach the stream', async () => {
    const { raw, heard, peer } = await serverAfter(['hello', 'auth'], true);
    expect(heard).toEqual(['hello', 'auth']);
    raw.removeAllListeners('message');
    const stream = WebSocketStream.fromWebSocket(raw);
    const { readable } = await stream.opened;
    peer.send('for the stream');
    expect(await readMessages(readable.getReader(), 1)).toEqual(['for the stream']);
  });
});
