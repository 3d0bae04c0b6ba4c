/**
 * Two netrx endpoints that both echo everything they receive, on one
 * RFC 8441 stream, both flooded at once (issue 8). Every echo is a write
 * that reading produced, so each side may pause its reading once its own
 * backlog passes `readPauseAbove`; over HTTP/2 a side that does not read
 * withholds the WINDOW_UPDATE the other's writes wait for. If both pause
 * with both stream windows full, neither moves again.
 *
 * The 40,000 messages keep bouncing for ever (each one received is sent
 * back), so the test waits until each side has received three times its
 * peer's flood: a stall shows as the timeout, never as a hang.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { http2Pair, openedClient, type Http2Kind } from './http2-pair.js';
import { WebSocketServer } from './server.js';
import { WebSocket } from './websocket.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const FLOOD = 20_000;
const PAYLOAD = Buffer.alloc(64, 0x62);
/** Each side must see this many messages: the traffic keeps flowing. */
const TARGET = 3 * FLOOD;
const STALL_AFTER_MS = 20_000;

/** Echoes every message and counts them; resolves once `target` arrived. */
function echoAndCount(ws: WebSocket, target: number): { reached: Promise<void>; count(): number } {
  let seen = 0;
  let reach: () => void = () => {};
  const reached = new Promise<void>((resolve) => (reach = resolve));
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    ws.send(data, { binary: isBinary });
    seen++;
    if (seen === target) reach();
  });
  return { reached, count: () => seen };
}

/** Resolves true when `promise` settles first, false after `ms` (a stall). */
function within(promise: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void promise.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Connects a netrx client to a netrx server over `kind`; both ends, open. */
async function endpoints(
  kind: Http2Kind | 'tcp',
  deflate: false | { threshold: number },
): Promise<{ client: WebSocket; server: WebSocket }> {
  let url: string;
  let clientOptions = {};
  let wss: WebSocketServer;
  if (kind === 'tcp') {
    wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: deflate });
    await new Promise((resolve) => wss.once('listening', resolve));
    url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`;
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const c of wss.clients) c.terminate();
          wss.close(() => resolve());
        }),
    );
  } else {
    const pair = await http2Pair(kind, { perMessageDeflate: deflate }, { echo: false });
    cleanups.push(() => pair.close());
    ({ url, clientOptions, wss } = pair);
  }
  const serverSide = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
  const client = await openedClient(
    new WebSocket(url, { ...clientOptions, perMessageDeflate: deflate }),
  );
  cleanups.push(() => client.terminate());
  return { client, server: await serverSide };
}

describe.each<[Http2Kind | 'tcp', false | { threshold: number }]>([
  ['h2c', false],
  ['h2c', { threshold: 1024 }],
  ['tls', false],
  ['tcp', false],
])('two echoing endpoints flooding each other (%s, deflate %o)', (kind, deflate) => {
  it('keeps both directions moving', async () => {
    const { client, server } = await endpoints(kind, deflate);
    const atClient = echoAndCount(client, TARGET);
    const atServer = echoAndCount(server, TARGET);
    for (let i = 0; i < FLOOD; i++) {
      client.send(PAYLOAD);
      server.send(PAYLOAD);
    }
    const flowed = await within(
      Promise.all([atClient.reached, atServer.reached]).then(() => {}),
      STALL_AFTER_MS,
    );
    expect({ flowed, client: atClient.count(), server: atServer.count() }).toEqual({
      flowed: true,
      client: expect.any(Number) as number,
      server: expect.any(Number) as number,
    });
  }, 60_000);
});

/** A masked ping with a 125-byte payload, as a client writes it. */
function maskedPing(): Buffer {
  const frame = Buffer.alloc(2 + 4 + 125);
  frame[0] = 0x89;
  frame[1] = 0x80 | 125;
  frame.writeUInt32BE(0x0badf00d, 2);
  return frame;
}

describe('over HTTP/2 reading goes on, so its output is bounded otherwise', () => {
  it('a peer that pings without reading its pongs gets a 1008 close past maxBackpressure', async () => {
    const maxBackpressure = 64 * 1024;
    const pair = await http2Pair(
      'h2c',
      { maxBackpressure, readPauseAbove: 16 * 1024, closeTimeout: 500 },
      { echo: false },
    );
    cleanups.push(() => pair.close());
    const outcome = new Promise<{ code: number; error: unknown; waiting: number }>((resolve) => {
      pair.wss.once('connection', (ws: WebSocket) => {
        let error: unknown;
        let waiting = 0;
        ws.on('error', (e: unknown) => {
          error = (e as { code?: unknown }).code;
          waiting = ws.bufferedAmount;
        });
        ws.on('close', (code: number) => resolve({ code, error, waiting }));
      });
    });
    const stream = pair.session().request(
      {
        ':method': 'CONNECT',
        ':protocol': 'websocket',
        ':scheme': 'http',
        ':path': '/echo',
        ':authority': 'localhost',
        'sec-websocket-version': '13',
      },
      { endStream: false },
    );
    stream.on('error', () => {});
    // Never read: the server's pongs fill this stream's window and then wait.
    stream.pause();
    const ping = maskedPing();
    const pings = Buffer.concat(Array.from({ length: 1000 }, () => ping));
    for (let i = 0; i < 20; i++) stream.write(pings);
    let settled: { code: number; error: unknown; waiting: number } | undefined;
    const finished = await within(
      outcome.then((o) => {
        settled = o;
      }),
      STALL_AFTER_MS,
    );
    expect(finished).toBe(true);
    expect(settled?.code).toBe(1008);
    expect(settled?.error).toBe('ERR_WS_BACKPRESSURE');
    // Bounded: at most about a batch past the limit, not the 250 KiB of pongs that waited with these settings before (the core coalesces
    // pongs that have not been written yet, but not those the stream holds).
    expect(settled?.waiting).toBeLessThan(2 * maxBackpressure);
  }, 60_000);
});
