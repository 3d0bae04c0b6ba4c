/**
 * Compressed messages that span several frames (outside review 3, finding
 * 7): the first frame carries RSV1, the continuations carry the rest of one
 * DEFLATE stream. netrx's own sender never makes them (a fragmented send
 * goes uncompressed), so the peer is `ws`, whose sender compresses
 * `fin: false` sends. Both roles: a `ws` client sends to the netrx server,
 * and a `ws` server sends to the netrx client. Settings are drawn (context
 * takeover on either side, window bits 8..15, the same on both sides so ws
 * accepts the negotiation), messages up to 300 KiB in 1-6 frames, text and
 * binary, compressible and random, every byte compared.
 */
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket as WsClient, WebSocketServer as WsServer } from 'ws';
import {
  WebSocket as NetrxSocket,
  WebSocketServer as NetrxServer,
} from '../../src/node/websocket/index.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Settings {
  readonly serverNoContextTakeover: boolean;
  readonly clientNoContextTakeover: boolean;
  readonly serverMaxWindowBits: number;
  readonly clientMaxWindowBits: number;
}

interface Message {
  readonly text: boolean;
  readonly bytes: Buffer;
  /** Fragment lengths; they sum to bytes.length. */
  readonly cuts: readonly number[];
}

const settings = fc.record({
  serverNoContextTakeover: fc.boolean(),
  clientNoContextTakeover: fc.boolean(),
  serverMaxWindowBits: fc.integer({ min: 9, max: 15 }),
  clientMaxWindowBits: fc.integer({ min: 9, max: 15 }),
});

const message = fc
  .record({
    text: fc.boolean(),
    size: fc.oneof(fc.integer({ min: 1, max: 2048 }), fc.integer({ min: 2048, max: 300 * 1024 })),
    compressible: fc.boolean(),
    seed: fc.integer({ min: 1, max: 1 << 30 }),
    frames: fc.integer({ min: 2, max: 6 }),
  })
  .map(({ text, size, compressible, seed, frames }): Message => {
    const bytes = Buffer.alloc(size);
    let x = seed;
    for (let i = 0; i < size; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      // Text: ASCII only, so any cut is valid UTF-8 once joined.
      bytes[i] = text || compressible ? 0x61 + ((x >>> 24) % (compressible ? 4 : 26)) : x >>> 24;
    }
    const cuts: number[] = [];
    let left = size;
    for (let f = frames; f > 1 && left > 0; f--) {
      const n = Math.floor(left / f);
      cuts.push(n);
      left -= n;
    }
    cuts.push(left);
    return { text, bytes, cuts };
  });

/** `ws` sends one message as fragments, compressing the first (threshold 0). */
function sendFragments(ws: WsClient, m: Message): void {
  let at = 0;
  m.cuts.forEach((n, i) => {
    const piece = m.bytes.subarray(at, at + n);
    at += n;
    ws.send(m.text ? piece.toString('latin1') : piece, {
      binary: !m.text,
      fin: i === m.cuts.length - 1,
      compress: true,
    });
  });
}

function collect(ws: { on(e: 'message', l: (d: Buffer, b: boolean) => void): unknown }, n: number) {
  const got: { text: boolean; bytes: Buffer }[] = [];
  return new Promise<{ text: boolean; bytes: Buffer }[]>((resolve) => {
    ws.on('message', (data, isBinary) => {
      got.push({ text: !isBinary, bytes: Buffer.from(data) });
      if (got.length === n) resolve(got);
    });
  });
}

function compare(got: { text: boolean; bytes: Buffer }[], sent: readonly Message[]): void {
  expect(got.map((g) => [g.text, g.bytes.length])).toEqual(
    sent.map((m) => [m.text, m.bytes.length]),
  );
  sent.forEach((m, i) => expect(got[i]?.bytes.equals(m.bytes)).toBe(true));
}

const wsDeflate = (s: Settings) => ({ ...s, threshold: 0 });

describe('compressed messages in several frames, from ws', () => {
  it('the netrx server receives them intact', async () => {
    await fc.assert(
      fc.asyncProperty(
        settings,
        fc.array(message, { minLength: 1, maxLength: 8 }),
        async (s, sent) => {
          const server = new NetrxServer({ port: 0, host: '127.0.0.1', perMessageDeflate: s });
          await new Promise((resolve) => server.once('listening', resolve));
          cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
          const connected = new Promise<NetrxSocket>((resolve) =>
            server.once('connection', resolve),
          );
          const client = new WsClient(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`, {
            perMessageDeflate: wsDeflate(s),
          });
          cleanups.push(() => client.terminate());
          await new Promise((resolve) => client.once('open', resolve));
          const ws = await connected;
          expect(ws.extensions).toMatch(/^permessage-deflate/);
          const got = collect(ws, sent.length);
          for (const m of sent) sendFragments(client, m);
          compare(await got, sent);
          for (const c of cleanups.splice(0).reverse()) await c();
        },
      ),
      { numRuns: 8 },
    );
  }, 60_000);

  it('the netrx client receives them intact', async () => {
    await fc.assert(
      fc.asyncProperty(
        settings,
        fc.array(message, { minLength: 1, maxLength: 8 }),
        async (s, sent) => {
          const server = new WsServer({
            port: 0,
            host: '127.0.0.1',
            perMessageDeflate: wsDeflate(s),
          });
          await new Promise((resolve) => server.once('listening', resolve));
          cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
          const connected = new Promise<WsClient>((resolve) => server.once('connection', resolve));
          const client = new NetrxSocket(
            `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`,
            {
              perMessageDeflate: s,
            },
          );
          cleanups.push(() => client.terminate());
          await new Promise((resolve) => client.once('open', resolve));
          const peer = await connected;
          cleanups.push(() => peer.terminate());
          expect(client.extensions).toMatch(/^permessage-deflate/);
          const got = collect(client, sent.length);
          for (const m of sent) sendFragments(peer, m);
          compare(await got, sent);
          for (const c of cleanups.splice(0).reverse()) await c();
        },
      ),
      { numRuns: 8 },
    );
  }, 60_000);
});
