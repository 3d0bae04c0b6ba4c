/**
 * `WebSocketServer.broadcast` and `sendPrepared` on real loopback
 * connections, over HTTP/1.1 upgrades and RFC 8441 streams: receivers with
 * different negotiated permessage-deflate settings, ordering with each
 * receiver's own sends, and what a slow receiver gets (skipped and counted,
 * or closed with 1008) while the others get everything.
 */
import type { AddressInfo } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { http2Pair } from './http2-pair.js';
import type { ClientOptions } from './client.js';
import { WebSocketServer, type WebSocketServerOptions } from './server.js';
import { WebSocket } from './websocket.js';

type Transport = 'http1' | 'h2';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Setup {
  readonly wss: WebSocketServer;
  /** Opens a client and resolves with it and its server-side connection. */
  connect(options?: ClientOptions): Promise<{ client: WebSocket; server: WebSocket }>;
}

async function setup(
  transport: Transport,
  options: Partial<WebSocketServerOptions>,
): Promise<Setup> {
  let wss: WebSocketServer;
  let url: string;
  let base: ClientOptions = {};
  if (transport === 'h2') {
    const pair = await http2Pair('h2c', options, { echo: false });
    cleanups.push(() => pair.close());
    wss = pair.wss;
    url = pair.url;
    base = pair.clientOptions;
  } else {
    wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
    await new Promise((r) => wss.once('listening', r));
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          for (const c of wss.clients) c.terminate();
          wss.close(() => r());
        }),
    );
    url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`;
  }
  return {
    wss,
    connect: async (extra = {}) => {
      const accepted = new Promise<WebSocket>((r) => wss.once('connection', r));
      const client = new WebSocket(url, { ...base, ...extra });
      cleanups.push(() => client.terminate());
      await new Promise((resolve, reject) => {
        client.once('open', resolve);
        client.once('error', reject);
      });
      return { client, server: await accepted };
    },
  };
}

/** Collects a client's messages as strings (or hex for binary). */
function collect(ws: WebSocket): string[] {
  const got: string[] = [];
  ws.on('message', (data: Buffer, isBinary: boolean) =>
    got.push(isBinary ? `bin:${data.toString('hex')}` : data.toString()),
  );
  return got;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 5000; i++) {
    if (condition()) return;
    await nextTurn();
  }
  throw new Error(`Timed out waiting for ${what}`);
}

describe.each<Transport>(['http1', 'h2'])('broadcast over %s', (transport) => {
  it('reaches receivers with any deflate settings, compressing once per shared window', async () => {
    const s = await setup(transport, { perMessageDeflate: { threshold: 0 } });
    const offers: ClientOptions[] = [
      { perMessageDeflate: false },
      { perMessageDeflate: { serverNoContextTakeover: true } },
      { perMessageDeflate: { serverNoContextTakeover: true } },
      { perMessageDeflate: { serverNoContextTakeover: true, serverMaxWindowBits: 10 } },
      { perMessageDeflate: {} },
    ];
    const receivers = [];
    for (const offer of offers) receivers.push(await s.connect(offer));
    expect(receivers.map((r) => r.client.extensions)).toEqual([
      '',
      expect.stringContaining('server_no_context_takeover'),
      expect.stringContaining('server_no_context_takeover'),
      expect.stringContaining('server_max_window_bits=10'),
      expect.not.stringContaining('server_no_context_takeover'),
    ]);
    const got = receivers.map((r) => collect(r.client));
    const text = 'tick '.repeat(400);
    const prepared = s.wss.prepare(text);
    const result = s.wss.broadcast(prepared, { except: receivers[2]?.server });
    expect(result).toEqual({ sent: 4, backpressured: 0, skipped: 0, closed: 0 });
    // Windows 15 and 10; the context-takeover receiver compressed its own.
    expect(prepared.compressions).toBe(2);
    s.wss.broadcast(Buffer.from([1, 2, 3]));
    await until(() => got.every((g, i) => g.length === (i === 2 ? 1 : 2)), 'the broadcasts');
    for (const [i, g] of got.entries()) {
      expect(g).toEqual(i === 2 ? ['bin:010203'] : [text, 'bin:010203']);
    }
  });

  it('keeps each receiver’s order with its own sends', async () => {
    const s = await setup(transport, {
      perMessageDeflate: { threshold: 0, serverNoContextTakeover: true },
    });
    const a = await s.connect({ perMessageDeflate: true });
    const b = await s.connect({ perMessageDeflate: false });
    const gotA = collect(a.client);
    const gotB = collect(b.client);
    const expectedA: string[] = [];
    const expectedB: string[] = [];
    for (let i = 0; i < 50; i++) {
      s.wss.broadcast(`all ${i} ${'x'.repeat(i * 40)}`);
      expectedA.push(`all ${i} ${'x'.repeat(i * 40)}`);
      expectedB.push(`all ${i} ${'x'.repeat(i * 40)}`);
      if (i % 3 === 0) {
        a.server.send(`a ${i}`);
        expectedA.push(`a ${i}`);
      }
      if (i % 4 === 0) {
        b.server.sendPrepared(s.wss.prepare(`b ${i}`));
        expectedB.push(`b ${i}`);
      }
      if (i % 10 === 0) await nextTurn();
    }
    await until(() => gotA.length === expectedA.length && gotB.length === expectedB.length, 'all');
    expect(gotA).toEqual(expectedA);
    expect(gotB).toEqual(expectedB);
  });

  it('skips (and counts) a receiver over maxBackpressure; the others get everything', async () => {
    const s = await setup(transport, { maxBackpressure: 256 * 1024 });
    const fast = await s.connect();
    const slow = await s.connect();
    const gotFast = collect(fast.client);
    const gotSlow = collect(slow.client);
    slow.client.pause(); // stops reading: its socket (or stream window) fills
    const chunk = 'y'.repeat(16 * 1024);
    let sent = 0;
    let skipped = 0;
    for (let i = 0; i < 5000 && skipped === 0; i++) {
      const result = s.wss.broadcast(`${String(i).padStart(5, '0')}${chunk}`);
      sent++;
      skipped += result.skipped;
      expect(slow.server.bufferedAmount).toBeLessThanOrEqual(256 * 1024);
      await nextTurn();
    }
    expect(skipped).toBe(1);
    expect(slow.server.sendsRefused).toBe(1);
    expect(slow.server.readyState).toBe(WebSocket.OPEN);
    await until(() => gotFast.length === sent, 'the fast receiver');
    expect(gotFast.map((m) => Number(m.slice(0, 5)))).toEqual([...Array(sent).keys()]);
    slow.client.resume();
    // What the slow one got is every message up to the skipped one.
    await until(() => gotSlow.length === sent - 1, 'the slow receiver');
    expect(gotSlow.map((m) => Number(m.slice(0, 5)))).toEqual([...Array(sent - 1).keys()]);
    expect(slow.client.readyState).toBe(WebSocket.OPEN);
  });

  it("whenFull: 'close' fails a receiver over maxBackpressure with 1008", async () => {
    const s = await setup(transport, { maxBackpressure: 256 * 1024 });
    const slow = await s.connect();
    slow.client.pause();
    const closed = new Promise<number>((r) => slow.client.once('close', (code: number) => r(code)));
    let closedCount = 0;
    for (let i = 0; i < 5000 && closedCount === 0; i++) {
      closedCount += s.wss.broadcast('z'.repeat(16 * 1024), { whenFull: 'close' }).closed;
      await nextTurn();
    }
    expect(closedCount).toBe(1);
    expect(slow.server.readyState).toBe(WebSocket.CLOSING);
    slow.client.resume();
    expect(await closed).toBe(1008);
  });
});

describe('broadcast: misuse', () => {
  it('needs clientTracking', () => {
    const wss = new WebSocketServer({ noServer: true, clientTracking: false });
    expect(() => wss.broadcast('x')).toThrow(TypeError);
  });

  it('sendPrepared throws while CONNECTING, as send does', () => {
    const wss = new WebSocketServer({ noServer: true });
    const client = new WebSocket('ws://127.0.0.1:9/');
    client.on('error', () => {});
    cleanups.push(() => client.terminate());
    expect(() => client.sendPrepared(wss.prepare('x'))).toThrow();
  });
});
