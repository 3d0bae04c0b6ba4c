/**
 * The broadcast fast path (an idle receiver gets the shared frame in one
 * socket write, no queue) against the queued path it falls back to: sends,
 * sends with callbacks, pings and broadcasts to random receivers,
 * interleaved with and without turns between them, must reach every raw
 * loopback reader frame by frame in exactly the order they were made. Some
 * of them run inside a `'message'` handler, while the transport's action
 * loop holds a batch (the pong to a ping that came in the same read, a send
 * an earlier handler made): the fast path must not jump ahead of it.
 */
import { connect, type AddressInfo, type Socket } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { constants, inflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from './server.js';
import type { WebSocket } from './websocket.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Frame {
  readonly opcode: number;
  readonly payload: Buffer;
}

/** A raw reader: does the upgrade by hand and splits what follows into frames. */
interface RawReader {
  readonly socket: Socket;
  readonly frames: Frame[];
}

function rawReader(port: number, offerDeflate: boolean): RawReader {
  const socket = connect(port, '127.0.0.1');
  const frames: Frame[] = [];
  const offer = offerDeflate
    ? 'Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n'
    : '';
  socket.write(
    `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${offer}\r\n`,
  );
  let pending = Buffer.alloc(0);
  let head = true;
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    if (head) {
      const end = pending.indexOf('\r\n\r\n');
      if (end === -1) return;
      head = false;
      pending = pending.subarray(end + 4);
    }
    for (;;) {
      if (pending.length < 2) return;
      const b0 = pending[0] as number;
      const b1 = (pending[1] as number) & 0x7f;
      const headerLength = b1 < 126 ? 2 : b1 === 126 ? 4 : 10;
      if (pending.length < headerLength) return;
      const length =
        b1 < 126 ? b1 : b1 === 126 ? pending.readUInt16BE(2) : Number(pending.readBigUInt64BE(2));
      if (pending.length < headerLength + length) return;
      let payload = pending.subarray(headerLength, headerLength + length);
      if ((b0 & 0x40) !== 0) {
        payload = inflateRawSync(Buffer.concat([payload, Buffer.from([0, 0, 0xff, 0xff])]), {
          finishFlush: constants.Z_SYNC_FLUSH,
        });
      }
      frames.push({ opcode: b0 & 0x0f, payload: Buffer.from(payload) });
      pending = pending.subarray(headerLength + length);
    }
  });
  cleanups.push(() => void socket.destroy());
  return { socket, frames };
}

async function serverWith(
  receivers: readonly boolean[],
  deflate: boolean,
): Promise<{ wss: WebSocketServer; readers: RawReader[]; connections: WebSocket[] }> {
  const wss = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    perMessageDeflate: deflate ? { threshold: 0 } : false,
  });
  await new Promise((r) => wss.once('listening', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  );
  const port = (wss.address() as AddressInfo).port;
  const readers: RawReader[] = [];
  const connections: WebSocket[] = [];
  for (const offer of receivers) {
    const accepted = new Promise<WebSocket>((r) => wss.once('connection', r));
    readers.push(rawReader(port, offer));
    connections.push(await accepted);
  }
  return { wss, readers, connections };
}

/** A masked client frame (payload under 126 bytes), as a peer writes it. */
function clientFrame(opcode: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const masked = payload.map((byte, i) => byte ^ (mask[i % 4] as number));
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length]), mask, masked]);
}

type DirectOp =
  | { readonly kind: 'send' | 'send-cb' | 'ping' | 'prepared-cb'; readonly to: number }
  | { readonly kind: 'broadcast'; readonly except: number | undefined };

/**
 * Reader `from` writes (in one write) a ping when `ping`, then one message
 * per inner op; connection `from`'s `'message'` handler runs inner op i on
 * message i, inside the transport's action loop.
 */
type HandlerOp = {
  readonly kind: 'in-handler';
  readonly from: number;
  readonly ping: boolean;
  readonly inner: readonly Sized<DirectOp>[];
};

type Op = DirectOp | HandlerOp;

interface Sized<T> {
  readonly op: T;
  readonly size: number;
}

const sizeArb = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 100, max: 70_000 }));

const directOpArb = (receivers: number): fc.Arbitrary<DirectOp> =>
  fc.oneof(
    fc.record({
      kind: fc.constantFrom('send' as const, 'send-cb' as const, 'ping' as const),
      to: fc.nat(receivers - 1),
    }),
    fc.record({ kind: fc.constant('prepared-cb' as const), to: fc.nat(receivers - 1) }),
    fc.record({
      kind: fc.constant('broadcast' as const),
      except: fc.option(fc.nat(receivers - 1), { nil: undefined }),
    }),
    fc.record({ kind: fc.constant('broadcast' as const), except: fc.constant(undefined) }),
  );

const handlerOpArb = (receivers: number): fc.Arbitrary<HandlerOp> =>
  fc.record({
    kind: fc.constant('in-handler' as const),
    from: fc.nat(receivers - 1),
    ping: fc.boolean(),
    inner: fc.array(fc.record({ op: directOpArb(receivers), size: sizeArb }), {
      minLength: 1,
      maxLength: 4,
    }),
  });

const opArb = (receivers: number): fc.Arbitrary<{ op: Op; size: number; turn: boolean }> =>
  fc.record({
    op: fc.oneof(directOpArb(receivers), handlerOpArb(receivers)),
    size: sizeArb,
    turn: fc.boolean(),
  });

/** Op `index`'s payload: its number, then filler up to `size` bytes (pings at most 125). */
function payloadOf(index: number, size: number, ping: boolean): string {
  const tag = `${index}:`;
  return tag + 'x'.repeat(Math.max(0, (ping ? Math.min(size, 120) : size) - tag.length));
}

describe('broadcast fast path', () => {
  it('keeps every receiver frame-for-frame in the order of its sends and broadcasts', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 4 }).chain((n) => fc.array(opArb(n), { maxLength: 25 })),
        async (deflate, offers, ops) => {
          const { wss, readers, connections } = await serverWith(offers, deflate);
          const expected: Frame[][] = readers.map(() => []);
          const callbacks: (Error | null | undefined)[] = [];
          // Checked after the run: an assertion in a 'message' handler would be swallowed.
          const broadcasts: { sent: number; targets: number }[] = [];
          let index = 0;
          let withCallback = 0;
          const run = (op: DirectOp, size: number): void => {
            const text = payloadOf(index++, size, op.kind === 'ping');
            const frame = { payload: Buffer.from(text) };
            if (op.kind === 'broadcast') {
              const except = op.except === undefined ? undefined : connections[op.except];
              const result = wss.broadcast(text, except === undefined ? {} : { except });
              const targets = connections.filter((c) => c !== except);
              broadcasts.push({ sent: result.sent, targets: targets.length });
              for (const [i, c] of connections.entries()) {
                if (c !== except) expected[i]?.push({ opcode: 1, ...frame });
              }
              return;
            }
            const to = op.to % connections.length;
            const ws = connections[to] as WebSocket;
            const done = (error?: Error | null): void => void callbacks.push(error);
            if (op.kind === 'ping') ws.ping(text);
            else if (op.kind === 'send') ws.send(text);
            else if (op.kind === 'send-cb') ws.send(text, done);
            else ws.sendPrepared(wss.prepare(text), done);
            if (op.kind === 'send-cb' || op.kind === 'prepared-cb') withCallback++;
            expected[to]?.push({ opcode: op.kind === 'ping' ? 9 : 1, ...frame });
          };
          for (const { op, size, turn } of ops) {
            if (op.kind === 'in-handler') {
              const from = op.from % connections.length;
              const ws = connections[from] as WebSocket;
              const reader = readers[from] as RawReader;
              const inner = [...op.inner];
              const handled = new Promise<void>((resolve) => {
                const onMessage = (): void => {
                  const next = inner.shift();
                  if (next !== undefined) run(next.op, next.size);
                  if (inner.length > 0) return;
                  ws.off('message', onMessage);
                  resolve();
                };
                ws.on('message', onMessage);
              });
              // The ping's pong goes into the transport's batch before the first message.
              const pingFrame = op.ping ? [clientFrame(9, `ping${index}`)] : [];
              if (op.ping)
                expected[from]?.push({ opcode: 10, payload: Buffer.from(`ping${index}`) });
              const messages = op.inner.map((_, i) => clientFrame(1, `trigger${i}`));
              reader.socket.write(Buffer.concat([...pingFrame, ...messages]));
              await handled;
            } else {
              run(op, size);
            }
            if (turn) await nextTurn();
          }
          const total = expected.reduce((n, list) => n + list.length, 0);
          for (let i = 0; i < 2000; i++) {
            if (readers.reduce((n, r) => n + r.frames.length, 0) >= total) break;
            await new Promise((r) => setTimeout(r, 2));
          }
          for (let i = 0; i < 500 && callbacks.length < withCallback; i++) await nextTurn();
          for (const { sent, targets } of broadcasts) expect(sent).toBe(targets);
          for (const [i, reader] of readers.entries()) {
            expect(reader.frames.map((f) => [f.opcode, f.payload.toString()])).toEqual(
              (expected[i] ?? []).map((f) => [f.opcode, f.payload.toString()]),
            );
          }
          expect(callbacks).toEqual(Array.from({ length: withCallback }, () => undefined));
          for (const c of connections) expect(c.bufferedAmount).toBe(0);
          for (const c of cleanups.splice(0).reverse()) await c();
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);

  it('writes one shared buffer to every idle receiver (no copy, no queue)', async () => {
    // Receivers 1 and 2 negotiate deflate without server context (threshold 0: compressed).
    const { wss, connections } = await serverWith([false, true, true, false], true);
    await nextTurn();
    const written: unknown[] = [];
    for (const c of connections) {
      const socket = c.socket as Socket;
      const write = socket.write.bind(socket);
      const spy = (chunk: Uint8Array): boolean => {
        written.push(chunk);
        return write(chunk);
      };
      socket.write = spy;
    }
    const result = wss.broadcast('hello');
    // Written before broadcast returned: no microtask, no action loop.
    expect(written).toHaveLength(4);
    // The plain frame once for both plain receivers, the compressed one once for both others.
    expect(written[3]).toBe(written[0]);
    expect(written[2]).toBe(written[1]);
    expect(written[1]).not.toBe(written[0]);
    expect(result).toEqual({ sent: 4, backpressured: 0, skipped: 0, closed: 0 });
  });
});
