/**
 * Frame-once broadcast received by an implementation nobody here wrote:
 * `ws` 8.23.0 clients (npm, the version pinned in package.json) on one netrx
 * server, each with its own permessage-deflate offer: none, no server
 * context takeover at window 15 and at window 10 (these two share frames
 * compressed once per window), and context takeover (compressed for that
 * receiver alone). Text and binary, small (under the threshold: the plain
 * frame) and large (compressed), byte for byte, in order, interleaved with
 * a message sent to one client alone.
 */
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket as WsClient, type PerMessageDeflateOptions } from 'ws';
import { WebSocketServer, type WebSocket } from '../../src/node/websocket/index.js';

const WS_VERSION = '8.23.0';

let wss: WebSocketServer;
let url: string;
beforeAll(async () => {
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: { threshold: 512 } });
  await new Promise((r) => wss.once('listening', r));
  url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  for (const c of wss.clients) c.terminate();
  await new Promise<void>((r) => wss.close(() => r()));
});

function compressible(size: number, seed: number): Buffer {
  const words = ['alpha', 'beta', 'gamma', 'delta', 'tick', '{"price":', '}'];
  let x = seed;
  let out = '';
  while (out.length < size) {
    x = (x * 1103515245 + 12345) >>> 0;
    out += `${words[x % words.length] ?? ''}${x % 1000} `;
  }
  return Buffer.from(out.slice(0, size));
}

describe(`broadcast to ws ${WS_VERSION} clients`, () => {
  it('runs against the pinned ws', () => {
    const require = createRequire(import.meta.url);
    expect((require('ws/package.json') as { version: string }).version).toBe(WS_VERSION);
  });

  it('every client gets every message, with and without deflate', async () => {
    const offers: (false | PerMessageDeflateOptions)[] = [
      false,
      { serverNoContextTakeover: true },
      { serverNoContextTakeover: true, serverMaxWindowBits: 10 },
      {},
    ];
    const clients: { ws: WsClient; got: { data: Buffer; binary: boolean }[]; server: WebSocket }[] =
      [];
    for (const perMessageDeflate of offers) {
      const accepted = new Promise<WebSocket>((r) => wss.once('connection', r));
      const ws = new WsClient(url, { perMessageDeflate });
      const got: { data: Buffer; binary: boolean }[] = [];
      ws.on('message', (data: Buffer, binary: boolean) => got.push({ data, binary }));
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      clients.push({ ws, got, server: await accepted });
    }
    expect(clients.map((c) => c.server.extensions)).toEqual([
      '',
      expect.stringContaining('server_no_context_takeover'),
      expect.stringContaining('server_max_window_bits=10'),
      expect.stringMatching(/^permessage-deflate(?!.*server_no_context_takeover)/),
    ]);
    const expected: { data: Buffer; binary: boolean }[][] = clients.map(() => []);
    let compressions = 0;
    for (let i = 0; i < 40; i++) {
      const binary = i % 2 === 1;
      const data = compressible(i % 5 === 0 ? 100 : 200 + i * 997, i);
      const prepared = wss.prepare(binary ? data : data.toString());
      expect(wss.broadcast(prepared).sent).toBe(clients.length);
      compressions += prepared.compressions;
      for (const e of expected) e.push({ data, binary });
      if (i % 7 === 0) {
        const own = compressible(3000, 1000 + i);
        clients[3]?.server.send(own.toString());
        expected[3]?.push({ data: own, binary: false });
      }
    }
    // 32 of 40 are over the threshold: each compressed twice (windows 15 and 10), no more.
    expect(compressions).toBe(32 * 2);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('broadcasts did not all arrive')), 20_000);
      const check = (): void => {
        if (clients.every((c, i) => c.got.length >= (expected[i]?.length ?? 0))) {
          clearTimeout(timer);
          resolve();
        } else setTimeout(check, 10);
      };
      check();
    });
    for (const [i, c] of clients.entries()) {
      expect(c.got.length).toBe(expected[i]?.length);
      c.got.forEach((m, j) => {
        const e = expected[i]?.[j];
        expect(m.binary).toBe(e?.binary);
        expect(m.data.equals(e?.data ?? Buffer.alloc(0))).toBe(true);
      });
      c.ws.terminate();
    }
  });
});
