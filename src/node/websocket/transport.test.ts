import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WS from 'ws';
import type { WebSocket } from './index.js';
import { WebSocketServer, echoConnection } from './index.js';
import { nodeHandle } from './handles.js';
import { MAX_INFLATE_SLICE } from './transport-limits.js';
import { SocketTransport, type TransportEvents } from './transport.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  for (const c of cleanups.splice(0).reverse()) await c();
});

const UPGRADE =
  'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

/** Resolves with the promise's value, or 'timeout' after `ms` real milliseconds. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  return Promise.race([
    promise,
    new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms)),
  ]);
}

async function listeningServer(
  options: ConstructorParameters<typeof WebSocketServer>[0],
): Promise<{ server: WebSocketServer; port: number }> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  await new Promise((resolve) => server.once('listening', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const c of server.clients) c.terminate();
        server.close(() => resolve());
      }),
  );
  return { server, port: (server.address() as AddressInfo).port };
}

/** A raw TCP client that completes the upgrade and then never sends or answers anything. */
function silentClient(port: number): Promise<Socket> {
  return rawUpgradedClient(port, { allowHalfOpen: false });
}

describe('close() to a silent peer (issue 8, defect 2)', () => {
  it('server side: destroys the socket closeTimeout after close(), not never', async () => {
    const { server, port } = await listeningServer({ closeTimeout: 300 });
    const connected = new Promise<WebSocket>((resolve) => server.once('connection', resolve));
    await silentClient(port);
    const ws = await connected;
    await new Promise((resolve) => setImmediate(resolve));
    const closed = new Promise<number>((resolve) =>
      ws.once('close', (code: number) => resolve(code)),
    );
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    ws.close(1000, 'bye');
    expect(ws.readyState).toBe(ws.CLOSING);
    vi.advanceTimersByTime(299);
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    const early = ws.readyState;
    vi.advanceTimersByTime(1);
    vi.useRealTimers();
    expect(early).toBe(ws.CLOSING);
    // No close frame came back: the close is unclean (1006).
    expect(await within(closed, 2000)).toBe(1006);
    expect(ws.readyState).toBe(ws.CLOSED);
  });

  it('client side: a server that upgrades and then goes silent', async () => {
    const raw: Server = createServer((socket) => {
      socket.once('data', (head: Buffer) => {
        const key = /sec-websocket-key: *(\S+)/i.exec(head.toString())?.[1] ?? '';
        void import('node:crypto').then(({ createHash }) => {
          const accept = createHash('sha1')
            .update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
            .digest('base64');
          socket.write(
            'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
              `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
          );
        });
      });
      socket.on('error', () => undefined);
      cleanups.push(() => void socket.destroy());
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => raw.close(() => resolve())));
    const { WebSocket: Client } = await import('./index.js');
    const client = new Client(`ws://127.0.0.1:${(raw.address() as AddressInfo).port}/`, {
      closeTimeout: 200,
      perMessageDeflate: false,
    });
    await new Promise((resolve) => client.once('open', resolve));
    const closed = new Promise<number>((resolve) =>
      client.once('close', (code: number) => resolve(code)),
    );
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    client.close();
    vi.advanceTimersByTime(200);
    vi.useRealTimers();
    expect(await within(closed, 2000)).toBe(1006);
  });
});

/** A loopback socket pair: [ours, the peer's]. */
async function socketPair(): Promise<[Socket, Socket]> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const ours = connect((server.address() as AddressInfo).port, '127.0.0.1');
  const theirs = await accepted;
  server.close();
  cleanups.push(() => {
    ours.destroy();
    theirs.destroy();
  });
  return [ours, theirs];
}

function quietEvents(overrides: Partial<TransportEvents>): TransportEvents {
  return {
    onIndication: () => undefined,
    onSendComplete: () => undefined,
    onTransportClosed: () => undefined,
    onSocketError: () => undefined,
    onDrain: () => undefined,
    onInputBacklog: () => undefined,
    onIdle: () => undefined,
    ...overrides,
  };
}

describe('send completion and the caller memory (issue 8, defect 6)', () => {
  for (const size of [100, 40_000, 200_000]) {
    it(`memory changed at send-complete does not change the wire (${size} B)`, async () => {
      const [ours, theirs] = await socketPair();
      const handle = nodeHandle('server', {}, 'test');
      handle.open({});
      const payload = Buffer.alloc(size, 0x61);
      let completed = 0;
      const transport = new SocketTransport(
        ours,
        handle,
        quietEvents({
          onSendComplete: (_context, sent) => {
            // The contract: the caller's memory is free again; reuse it at once.
            expect(sent).toBe(true);
            payload.fill(0xee);
            completed++;
          },
        }),
      );
      transport.start(undefined);
      const received: Buffer[] = [];
      let total = 0;
      const header = size < 126 ? 2 : size < 65536 ? 4 : 10;
      const all = new Promise<void>((resolve) =>
        theirs.on('data', (d: Buffer) => {
          received.push(d);
          total += d.length;
          if (total >= header + size) resolve();
        }),
      );
      handle.send('binary-message', payload, 'ctx');
      transport.schedule();
      await all;
      const wire = Buffer.concat(received).subarray(header);
      expect(completed).toBe(1);
      expect(wire.length).toBe(size);
      expect(wire.every((b) => b === 0x61)).toBe(true);
    });
  }
});

describe('maxBackpressure (issue 8, defect 11)', () => {
  it('is finite by default and counts what it refused', async () => {
    const { server, port } = await listeningServer({});
    const connected = new Promise<WebSocket>((resolve) => server.once('connection', resolve));
    const client = new WS(`ws://127.0.0.1:${port}/`);
    cleanups.push(() => client.terminate());
    await new Promise((resolve) => client.once('open', resolve));
    const ws = await connected;
    const tooBig = Buffer.alloc(64 * 1024 * 1024 + 1);
    const errors: Error[] = [];
    const callbackRan = new Promise<void>((resolve) =>
      ws.send(tooBig, (error) => {
        if (error !== undefined) errors.push(error);
        resolve();
      }),
    );
    expect(ws.sendsRefused).toBe(1);
    expect(ws.bytesRefused).toBe(tooBig.length);
    await callbackRan;
    expect(errors.map((e) => (e as Error & { code?: string }).code)).toEqual([
      'ERR_WS_BACKPRESSURE',
    ]);
    expect(ws.send('small')).toBe('sent');
    expect(ws.sendsRefused).toBe(1);
  });
});

describe('inflate does not hold the event loop (issue 8, defect 10)', () => {
  it('feeds a compressed bomb to the handle in slices, yielding to the event loop', async () => {
    const { server, port } = await listeningServer({
      perMessageDeflate: true,
      maxPayload: 128 * 1024 * 1024,
    });
    server.on('connection', echoConnection);
    const connected = new Promise<WebSocket>((resolve) => server.once('connection', resolve));
    const client = new WS(`ws://127.0.0.1:${port}/`, { perMessageDeflate: { threshold: 0 } });
    cleanups.push(() => client.terminate());
    await new Promise((resolve) => client.once('open', resolve));
    const ws = await connected;
    const bomb = Buffer.alloc(48 * 1024 * 1024); // zeros: ~48 KiB compressed
    let firstByteAt = -1;
    let ticksDuring = 0;
    let ticking = true;
    const tick = (): void => {
      if (!ticking) return;
      if (firstByteAt >= 0) ticksDuring++;
      setImmediate(tick);
    };
    setImmediate(tick);
    ws.socket?.prependListener('data', () => {
      if (firstByteAt < 0) firstByteAt = ticksDuring;
    });
    const received = new Promise<number>((resolve) =>
      // echoConnection asks for binaryType 'fragments' (an inflated message comes whole, as [data]).
      ws.once('message', (data: Buffer | Buffer[]) =>
        resolve(Array.isArray(data) ? Buffer.concat(data).length : data.length),
      ),
    );
    // Every slice looks as if it used the whole budget, so the transport yields after each.
    let fakeNow = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => (fakeNow += 10));
    client.send(bomb);
    const length = await received;
    ticking = false;
    vi.restoreAllMocks();
    expect(length).toBe(bomb.length);
    // ~48 KiB in slices that shrink as each seems to cost 10 ms: dozens of turns. The old
    // transport inflated each read at once.
    expect(ticksDuring).toBeGreaterThanOrEqual(10);
    expect(MAX_INFLATE_SLICE).toBe(64 * 1024);
  });

  it('keeps every byte of mixed messages through the slices, under drawn settings', async () => {
    // Thresholds on both sides (what users run, not only 0), sizes up to 300 KiB,
    // compressible and random content: some messages go compressed, some not.
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(0, 64, 1024),
        fc.constantFrom(0, 64, 1024),
        fc.array(
          fc.record({
            size: fc.oneof(
              fc.integer({ min: 0, max: 2048 }),
              fc.integer({ min: 0, max: 300 * 1024 }),
            ),
            compressible: fc.boolean(),
            seed: fc.integer({ min: 1, max: 0x7fffffff }),
          }),
          { minLength: 1, maxLength: 12 },
        ),
        async (serverThreshold, clientThreshold, specs) => {
          const { server, port } = await listeningServer({
            perMessageDeflate: { threshold: serverThreshold },
          });
          server.on('connection', echoConnection);
          const client = new WS(`ws://127.0.0.1:${port}/`, {
            perMessageDeflate: { threshold: clientThreshold },
          });
          client.on('error', () => undefined);
          cleanups.push(() => client.terminate());
          await new Promise((resolve) => client.once('open', resolve));
          const sent = specs.map(({ size, compressible, seed }) => {
            let x = seed;
            const message = Buffer.alloc(size);
            for (let j = 0; j < size; j++) {
              x = (x * 1103515245 + 12345) & 0x7fffffff;
              message[j] = compressible && (x & 3) !== 0 ? 0x41 : x >>> 23;
            }
            return message;
          });
          const echoed: Buffer[] = [];
          const all = new Promise<void>((resolve) =>
            client.on('message', (data: Buffer) => {
              echoed.push(data);
              if (echoed.length === sent.length) resolve();
            }),
          );
          for (const message of sent) client.send(message);
          await all;
          client.terminate();
          return sent.every((message, i) => echoed[i]?.equals(message) === true);
        },
      ),
      { numRuns: 8 },
    );
  });
});

/**
 * A raw client socket that completes the upgrade. With `allowHalfOpen` (the
 * default) it never ends its side on its own, even after the server's FIN.
 */
async function rawUpgradedClient(port: number, options = { allowHalfOpen: true }): Promise<Socket> {
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: options.allowHalfOpen });
  socket.on('error', () => undefined);
  cleanups.push(() => void socket.destroy());
  socket.write(UPGRADE);
  await new Promise<void>((resolve) => {
    let head = '';
    const onData = (d: Buffer): void => {
      head += d.toString('latin1');
      if (head.includes('\r\n\r\n')) {
        socket.off('data', onData);
        resolve();
      }
    };
    socket.on('data', onData);
  });
  return socket;
}

/** Resolves once `value()` has not changed for `quietMs` (or after `maxMs`). */
async function settled(value: () => number, quietMs: number, maxMs: number): Promise<number> {
  const start = performance.now();
  let last = value();
  let since = performance.now();
  while (performance.now() - start < maxMs) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = value();
    if (now !== last) {
      last = now;
      since = performance.now();
    } else if (performance.now() - since >= quietMs) break;
  }
  return last;
}

describe('a peer that sends but never reads (outside review of issue 8, finding 2)', () => {
  it('the server stops reading once its unsent echo passes readPauseAbove, so its memory stays bounded', async () => {
    const { server, port } = await listeningServer({});
    server.on('connection', echoConnection);
    const client = await rawUpgradedClient(port);
    client.pause(); // never reads the echoes
    // 1024 masked (key 0) binary frames of 64 KiB: 64 MiB in all.
    const size = 64 * 1024;
    const big = Buffer.alloc(14 + size);
    big[0] = 0x82;
    big[1] = 0x80 | 127;
    big.writeBigUInt64BE(BigInt(size), 2);
    for (let i = 0; i < 1024; i++) client.write(big);
    // With the pause, the server takes in what the kernel buffers and ~1 MiB of
    // unsent echo hold, then stops: tens of MiB stay queued in the client.
    // Without it, the server reads (and queues echoes of) everything.
    const stuck = await settled(() => client.writableLength, 700, 15_000);
    expect(stuck).toBeGreaterThan(16 * 1024 * 1024);
  });
});

describe('the close timer after the closing handshake (outside review of issue 8, finding 3)', () => {
  it('a peer that gets the close echo but never ends TCP is destroyed closeTimeout later', async () => {
    const { server, port } = await listeningServer({ closeTimeout: 300 });
    const connected = new Promise<WebSocket>((resolve) => server.once('connection', resolve));
    const client = await rawUpgradedClient(port);
    const ws = await connected;
    const closed = new Promise<number>((resolve) =>
      ws.once('close', (code: number) => resolve(code)),
    );
    // A masked (key 0) close frame with code 1000; the peer then never sends FIN.
    client.write(Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]));
    const echoed = new Promise<Buffer>((resolve) => client.once('data', resolve));
    expect((await within(echoed, 2000)) !== 'timeout').toBe(true);
    expect(await within(closed, 2000)).toBe(1000);
    expect(ws.readyState).toBe(ws.CLOSED);
  });
});
