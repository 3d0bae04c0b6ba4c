/**
 * `WebSocketStream` both ways at once, with everything drawn: the
 * transport (HTTP/1.1, or HTTP/2 per RFC 8441 over h2c or TLS), the
 * server's and the client's permessage-deflate (off, defaults, or any
 * parameters and threshold), both sides' high-water marks, a random mix of
 * text and binary messages of every size for each direction, how each
 * writer paces itself (awaiting each `write()`, or only `writer.ready`)
 * and how each reader pulls (yielding 0-3 turns before some reads). The
 * client and the server side each write their mix while reading the
 * other's; every message must arrive whole, in order, byte for byte.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClientOptions, ClientPerMessageDeflate } from './client.js';
import { http2Pair, type Http2Kind } from './http2-pair.js';
import type { WebSocketServerOptions } from './server.js';
import type { WebSocket } from './websocket.js';
import { WebSocketStream, type WebSocketStreamQueueOptions } from './websocket-stream.js';
import type { WebSocketStreamMessage } from './websocket-stream-sides.js';
import { streamServer } from './websocket-stream-support.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const windowBits = fc.integer({ min: 9, max: 15 });
const serverDeflateArb: fc.Arbitrary<WebSocketServerOptions['perMessageDeflate']> = fc.oneof(
  fc.constant(false),
  fc.constant(true),
  fc.record(
    {
      serverNoContextTakeover: fc.boolean(),
      clientNoContextTakeover: fc.boolean(),
      serverMaxWindowBits: windowBits,
      clientMaxWindowBits: windowBits,
      threshold: fc.constantFrom(0, 16, 1024),
    },
    { requiredKeys: [] },
  ),
);
const clientDeflateArb: fc.Arbitrary<boolean | ClientPerMessageDeflate> = fc.oneof(
  fc.constant(false),
  fc.constant(true),
  fc.record(
    {
      serverNoContextTakeover: fc.boolean(),
      clientNoContextTakeover: fc.boolean(),
      serverMaxWindowBits: windowBits,
      threshold: fc.constantFrom(0, 64),
    },
    { requiredKeys: [] },
  ),
);

/** A message to send: text of any code points, or bytes (half of them compressible). */
const messageArb: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc
    .record({
      size: fc.oneof(fc.nat(300), fc.constantFrom(0, 65_535, 65_536, 150_000)),
      seed: fc.nat(),
    })
    .map(({ size, seed }) => {
      const out = new Uint8Array(size);
      let x = seed | 1;
      for (let i = 0; i < size; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        out[i] = i & 1 ? x & 0xff : 7;
      }
      return out;
    }),
);

const sideArb = fc.record({
  messages: fc.array(messageArb, { maxLength: 16 }),
  /** Per message: await its write (true) or only writer.ready (false). */
  awaitWrites: fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }),
  /** Per read: turns to yield first. */
  readPauses: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 16, maxLength: 16 }),
  readableHighWaterMark: fc.constantFrom(0, 1, 1024, 65_536),
  // Not 0: with a high-water mark of 0 `writer.ready` never resolves (streams' rule), and the
  // writers here wait on it.
  writableHighWaterMark: fc.constantFrom(1, 1024, 65_536),
});

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** What a string is once sent as UTF-8 (lone surrogates become U+FFFD). */
const asSent = (m: string | Uint8Array): string | Uint8Array =>
  typeof m === 'string' ? decoder.decode(encoder.encode(m)) : m;

const yieldTurns = async (turns: number): Promise<void> => {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
};

async function writeAll(
  writable: WritableStream<string | Uint8Array>,
  messages: readonly (string | Uint8Array)[],
  awaitWrites: readonly boolean[],
): Promise<void> {
  const writer = writable.getWriter();
  const pending: Promise<void>[] = [];
  for (const [i, m] of messages.entries()) {
    await writer.ready;
    const written = writer.write(m);
    pending.push(written);
    if (awaitWrites[i] === true) await written;
  }
  await Promise.all(pending);
  writer.releaseLock();
}

async function readAll(
  readable: ReadableStream<WebSocketStreamMessage>,
  count: number,
  pauses: readonly number[],
): Promise<{
  got: WebSocketStreamMessage[];
  reader: ReadableStreamDefaultReader<WebSocketStreamMessage>;
}> {
  const reader = readable.getReader();
  const got: WebSocketStreamMessage[] = [];
  for (let i = 0; i < count; i++) {
    await yieldTurns(pauses[i] ?? 0);
    const { value, done } = await reader.read();
    if (done) throw new Error(`ended after ${i} of ${count}`);
    got.push(value);
  }
  return { got, reader };
}

/** Compared as strings (binary as its length and base64): fast, and a mismatch names the message. */
const comparable = (messages: readonly (string | Uint8Array)[]): string[] =>
  messages.map((m) =>
    typeof m === 'string'
      ? `text:${m}`
      : `binary:${m.byteLength}:${Buffer.from(m).toString('base64')}`,
  );

type Transport = 'http/1.1' | Http2Kind;

/** A server over HTTP/1.1 or HTTP/2 (RFC 8441, h2c or TLS) whose connections become streams. */
async function serverOver(
  transport: Transport,
  perMessageDeflate: WebSocketServerOptions['perMessageDeflate'],
  queue: WebSocketStreamQueueOptions,
): Promise<{
  url: string;
  clientOptions: ClientOptions;
  next(): Promise<WebSocketStream>;
  close(): Promise<void>;
}> {
  if (transport === 'http/1.1') {
    const s = await streamServer({ perMessageDeflate }, queue);
    return {
      url: s.url,
      clientOptions: {},
      next: async () => (await s.next()).stream,
      close: () => s.close(),
    };
  }
  const p = await http2Pair(transport, { perMessageDeflate }, { echo: false });
  const accepted: Promise<WebSocketStream> = new Promise((resolve) =>
    p.wss.once('connection', (raw: WebSocket) =>
      resolve(WebSocketStream.fromWebSocket(raw, queue)),
    ),
  );
  return {
    url: p.url,
    clientOptions: p.clientOptions,
    next: () => accepted,
    close: () => p.close(),
  };
}

describe('WebSocketStream property: both ways, drawn settings and pacing', () => {
  it('every message arrives whole and in order, both roles', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Transport>('http/1.1', 'h2c', 'tls'),
        serverDeflateArb,
        clientDeflateArb,
        sideArb,
        sideArb,
        async (transport, serverDeflate, clientDeflate, clientSide, serverSide) => {
          const queue = {
            readableHighWaterMark: serverSide.readableHighWaterMark,
            writableHighWaterMark: serverSide.writableHighWaterMark,
          };
          const s = await serverOver(transport, serverDeflate, queue);
          cleanups.push(() => s.close());
          const client = new WebSocketStream(s.url, {
            ...s.clientOptions,
            perMessageDeflate: clientDeflate,
            readableHighWaterMark: clientSide.readableHighWaterMark,
            writableHighWaterMark: clientSide.writableHighWaterMark,
          });
          cleanups.push(() => client.close());
          const server = await s.next();
          const c = await client.opened;
          const sv = await server.opened;
          const [, , toServer, toClient] = await Promise.all([
            writeAll(c.writable, clientSide.messages, clientSide.awaitWrites),
            writeAll(sv.writable, serverSide.messages, serverSide.awaitWrites),
            readAll(sv.readable, clientSide.messages.length, serverSide.readPauses),
            readAll(c.readable, serverSide.messages.length, clientSide.readPauses),
          ]);
          expect(comparable(toServer.got)).toEqual(comparable(clientSide.messages.map(asSent)));
          expect(comparable(toClient.got)).toEqual(comparable(serverSide.messages.map(asSent)));
          client.close({ closeCode: 1000 });
          // Reading on is what lets a side at high-water mark 0 see the close (a read is a
          // posted receive): both readables end, with nothing more.
          const ends = await Promise.all([toServer.reader.read(), toClient.reader.read()]);
          expect(ends.map((r) => r.done)).toEqual([true, true]);
          expect(await client.closed).toEqual({ closeCode: 1000, reason: '' });
          expect(await server.closed).toEqual({ closeCode: 1000, reason: '' });
          await s.close();
        },
      ),
      // A run that hangs fails (and shrinks) instead of timing the whole test out.
      { numRuns: Number(process.env.NETRX_WSS_PROPERTY_RUNS ?? 40), timeout: 15_000 },
    );
  }, 120_000);
});
