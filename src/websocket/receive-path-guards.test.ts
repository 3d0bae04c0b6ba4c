/**
 * What single lines of receive-path.ts protect. A mutation run changed each
 * of these lines without failing any test (issue 8 follow-up): the ping
 * payload copy, the count of inflated sizes, the zero-copy shortcut for a
 * message whole in one piece, the view-or-copy choice for one inflated
 * piece, and the gather loop's budget check (whose mutant hung vitest in a
 * synchronous loop). Each test here fails when its line is mutated. (Since
 * the split of receive-path.ts, all but the ping copy live in its base
 * class, receive-delivery.ts.)
 */
import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../node/runtime/index.js';
import { zlibDeflateCodec } from '../node/websocket/zlib-codec.js';
import { connectHandles, VirtualClock } from '../testing/index.js';
import { decodePayload, TraceRegistry } from '../trace/index.js';
import { encodeFrame, FrameDecoder, Opcode } from '../wire/websocket/index.js';
import {
  createClientHandle,
  createServerHandle,
  WEBSOCKET_PROVIDER,
  WebSocketEvent,
  type DeflateCodec,
  type HandleProperties,
  type IndicateReceiveCompleteAction,
  type WebSocketAction,
  type WebSocketHandle,
} from './index.js';

const KEY = 0x37fa213d;
const DEFLATE = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

function bytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed | 1;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = 0x61 + ((x >>> 24) % 8); // compressible
  }
  return out;
}

function masked(opcode: number, payload: Uint8Array, fin = true): Uint8Array {
  return encodeFrame({ fin, opcode, maskKey: KEY, payload });
}

/** Runs `queue` until nothing is left; returns what was written, indications are completed and kept. */
function drain(
  h: WebSocketHandle,
  queue: 'send' | 'receive' | 'all',
  received: IndicateReceiveCompleteAction[] = [],
): Uint8Array[] {
  const written: Uint8Array[] = [];
  for (let i = 0; i < 1000; i++) {
    const a: WebSocketAction | undefined = h.getAction(queue);
    if (a === undefined) return written;
    switch (a.type) {
      case 'send-to-network':
        for (const b of a.buffers) written.push(b.slice());
        h.completeAction(a.actionContext, a.byteLength);
        break;
      case 'indicate-send-complete':
        h.completeAction(a.actionContext, 0);
        break;
      case 'indicate-receive-complete':
        received.push(a);
        h.completeAction(a.actionContext, 0);
        if (a.bufferType !== 'close') h.receive(null);
        break;
      case 'receive-from-network':
        return written;
    }
  }
  throw new Error('the handle did not settle in 1000 actions');
}

/** The payloads of the unmasked frames in `wire`. */
function framesOf(wire: Uint8Array[]): { opcode: number; payload: Uint8Array }[] {
  const decoder = new FrameDecoder({ expectMasked: false, maxPayloadLength: 1 << 30 });
  const out: { opcode: number; payload: Uint8Array }[] = [];
  let opcode = 0;
  for (const chunk of wire) {
    decoder.push(chunk);
    for (let e = decoder.next(); e !== undefined; e = decoder.next()) {
      if (e.type === 'header') opcode = e.header.opcode;
      else if (e.type === 'payload') out.push({ opcode, payload: e.data.slice() });
      else throw new Error(e.failure.message);
    }
  }
  return out;
}

/** A server handle reading one lent chunk at a time (as netrx/node does). */
function lendingServer(properties: HandleProperties = {}) {
  const handle = createServerHandle({ crypto: nodeCrypto, assembleMessages: true, ...properties });
  handle.open();
  handle.receive(null);
  const received: IndicateReceiveCompleteAction[] = [];
  let readContext: number | undefined;
  const steps = { pending: 0 };
  const run = (): void => {
    for (let i = 0; i < 100_000; i++) {
      const a = handle.getAction('all');
      if (a === undefined) {
        if (!handle.receivePending) return;
        steps.pending++;
        continue;
      }
      if (a.type === 'receive-from-network') readContext = a.actionContext;
      else if (a.type === 'indicate-receive-complete') {
        received.push(a);
        handle.completeAction(a.actionContext, 0);
        if (a.bufferType !== 'close') handle.receive(null);
      } else {
        handle.completeAction(a.actionContext, a.type === 'send-to-network' ? a.byteLength : 0);
      }
    }
    throw new Error('the handle did not settle in 100000 getAction calls');
  };
  run();
  const feed = (chunk: Uint8Array): void => {
    if (readContext === undefined) throw new Error('no read outstanding');
    const context = readContext;
    readContext = undefined;
    handle.completeAction(context, chunk);
    run();
  };
  return { handle, received, feed, steps };
}

/**
 * A codec over zlib whose inflater puts each call's output at the start of
 * its own ArrayBuffer of `slab(length)` bytes: `stable` says whether that
 * memory is ever written again (when not, one buffer is reused by every call).
 */
function shapedCodec(stable: boolean, slab: (length: number) => number): DeflateCodec {
  let reused = new Uint8Array(0);
  return {
    createDeflater: zlibDeflateCodec.createDeflater,
    createInflater(options) {
      const inner = zlibDeflateCodec.createInflater(options);
      return {
        inflate(data, max, end) {
          const r = inner.inflate(data, max, end);
          if (!r.ok || r.length === 0) return r;
          const size = slab(r.length);
          let memory: Uint8Array;
          if (stable) memory = new Uint8Array(size);
          else {
            if (reused.length < size) reused = new Uint8Array(size);
            memory = reused;
          }
          let at = 0;
          for (const c of r.chunks) {
            memory.set(c, at);
            at += c.length;
          }
          return { ok: true, chunks: [memory.subarray(0, r.length)], length: r.length };
        },
        reset: () => inner.reset(),
        close: () => inner.close(),
      };
    },
    ...(stable ? { stableOutput: true } : {}),
  };
}

function deflatePair(codec: DeflateCodec, server: HandleProperties = {}) {
  const client = createClientHandle({
    crypto: nodeCrypto,
    deflateCodec: codec,
    deflateThreshold: 0,
  });
  const handle = createServerHandle({
    crypto: nodeCrypto,
    deflateCodec: codec,
    assembleMessages: true,
    ...server,
  });
  client.open({ perMessageDeflate: DEFLATE });
  handle.open({ perMessageDeflate: DEFLATE });
  return { client, server: handle };
}

describe('receive-path.ts: what single lines guard', () => {
  // `receivedPing(owner, payload.slice())`: the ping's payload is a view of
  // the read buffer; its pong waits while another write is outstanding, and
  // the next read into the handle's own buffer overwrites that memory.
  it("a pong carries the ping's payload even when the read buffer was reused before it went out", () => {
    const server = createServerHandle({ crypto: nodeCrypto, receiveBufferSize: 256 });
    server.open();
    server.send('binary-message', new Uint8Array(8), 'app');
    const write = server.getAction('send');
    expect(write?.type).toBe('send-to-network'); // left outstanding: the pong must wait
    server.receive(null);
    const ping = masked(Opcode.Ping, new TextEncoder().encode('ping payload, 24 bytes!!'));
    const read = (frame: Uint8Array): void => {
      const a = server.getAction('receive');
      if (a?.type !== 'receive-from-network') throw new Error(`expected a read, got ${a?.type}`);
      a.buffer.set(frame);
      server.completeAction(a.actionContext, frame.length);
    };
    read(ping);
    // Same length, other bytes, read into the same memory.
    read(masked(Opcode.Binary, new Uint8Array(24).fill(0x55)));
    const received: IndicateReceiveCompleteAction[] = [];
    drain(server, 'receive', received);
    expect(received.map((r) => r.bufferType)).toEqual(['binary-message']);
    if (write?.type !== 'send-to-network') throw new Error('unreachable');
    server.completeAction(write.actionContext, write.byteLength);
    const pongs = framesOf(drain(server, 'send')).filter((f) => f.opcode === Opcode.Pong);
    expect(pongs.map((f) => new TextDecoder().decode(f.payload))).toEqual([
      'ping payload, 24 bytes!!',
    ]);
  });

  // `if (this.compressed) this.size += piece.length`: inflated sizes are
  // counted as they come (plain ones were counted from the frame headers).
  it('a compressed message is reported with its inflated size', () => {
    const trace = new TraceRegistry({ clock: new VirtualClock() });
    const sizes: number[] = [];
    trace.enable(
      WEBSOCKET_PROVIDER.guid,
      (e) => {
        if (e.descriptor.name !== 'MessageReceived') return;
        const d = decodePayload(WebSocketEvent.messageReceived.fields ?? [], e.payload);
        if (d.ok) sizes.push(d.values['size'] as number);
      },
      { level: 5 },
    );
    const { client, server } = deflatePair(zlibDeflateCodec, { trace });
    const p = connectHandles(client, server);
    p.client.handle.send('binary-message', bytes(5000, 1));
    p.client.handle.send('binary-fragment', bytes(600, 2));
    p.client.handle.send('binary-message', bytes(300, 3));
    p.flush();
    expect(p.server.messages().map((m) => m.data.length)).toEqual([5000, 900]);
    expect(sizes).toEqual([5000, 900]);
  });

  it('a plain fragmented message just under maxMessageSize is accepted (its size counted once)', () => {
    const client = createClientHandle({ crypto: nodeCrypto });
    const server = createServerHandle({
      crypto: nodeCrypto,
      assembleMessages: true,
      maxMessageSize: 1000,
    });
    client.open();
    server.open();
    const p = connectHandles(client, server);
    p.client.handle.send('binary-fragment', bytes(600, 4));
    p.client.handle.send('binary-message', bytes(399, 5));
    p.flush();
    expect(p.server.messages().map((m) => [m.type, m.data.length])).toEqual([
      ['binary-message', 999],
    ]);
  });

  // `if (end && assembled === 0 && heldPieceBytes === 0 && !compressed)`.
  it('a plain message whole in one lent chunk is handed out as a view of it, nothing allocated', () => {
    const sizes: number[] = [];
    const { received, feed } = lendingServer({
      allocate: (n) => {
        sizes.push(n);
        return new Uint8Array(n);
      },
    });
    const chunk = masked(Opcode.Binary, bytes(3000, 6));
    feed(chunk);
    expect(received.map((r) => [r.bufferType, r.buffer.length])).toEqual([
      ['binary-message', 3000],
    ]);
    expect(received[0]?.buffer.buffer).toBe(chunk.buffer);
    expect(sizes).toEqual([]);
  });

  it.each([
    ['lent chunks held as views', { retainLentChunks: true }],
    ['lent chunks copied as they come', {}],
  ] as const)(
    'the last frame of a message split over chunks ends the whole message (%s)',
    (_name, properties) => {
      const { received, feed } = lendingServer(properties);
      const first = bytes(4000, 7);
      const last = bytes(3000, 8);
      feed(masked(Opcode.Binary, first, false));
      feed(masked(Opcode.Continuation, last, true));
      expect(received.map((r) => [r.bufferType, r.buffer.length])).toEqual([
        ['binary-message', 7000],
      ]);
      expect(received[0]?.buffer.subarray(0, 4000)).toEqual(first);
      expect(received[0]?.buffer.subarray(4000)).toEqual(last);
    },
  );

  it('an inflated message is never a view of memory a codec without stableOutput reuses', () => {
    const { client, server } = deflatePair(shapedCodec(false, (n) => n));
    const p = connectHandles(client, server);
    const kept: Uint8Array[] = [];
    // Keep the indicated buffers themselves (the driver copies), as netrx/node's messages are kept.
    const getAction = server.getAction.bind(server);
    server.getAction = (queue) => {
      const a = getAction(queue);
      if (a?.type === 'indicate-receive-complete' && a.bufferType === 'binary-message') {
        kept.push(a.buffer);
      }
      return a;
    };
    const a = bytes(2000, 9);
    const b = bytes(2000, 10).reverse();
    p.client.handle.send('binary-message', a);
    p.client.handle.send('binary-message', b);
    p.flush();
    expect(kept.length).toBe(2);
    expect(kept[0]).toEqual(a);
    expect(kept[1]).toEqual(b);
  });

  // `hold`: one inflated piece is a view when it is at least half of its
  // memory, else one copy of it (a view would pin the rest of the slab).
  it.each([
    ['half of its slab: a view', (n: number) => 2 * n, true],
    ['just under half: a copy', (n: number) => 2 * n + 1, false],
    ['a fifth: a copy', (n: number) => 5 * n, false],
    ['all of it: a view', (n: number) => n, true],
  ] as const)('one inflated piece that is %s', (_name, slab, view) => {
    const sizes: number[] = [];
    const { client, server } = deflatePair(shapedCodec(true, slab), {
      allocate: (n) => {
        sizes.push(n);
        return new Uint8Array(n);
      },
    });
    const kept: Uint8Array[] = [];
    const getAction = server.getAction.bind(server);
    server.getAction = (queue) => {
      const a = getAction(queue);
      if (a?.type === 'indicate-receive-complete') kept.push(a.buffer);
      return a;
    };
    const p = connectHandles(client, server);
    const message = bytes(3000, 11);
    p.client.handle.send('binary-message', message);
    p.flush();
    expect(kept.map((k) => k.length)).toEqual([3000]);
    expect(kept[0]).toEqual(message);
    const wholeBuffer = (kept[0] as Uint8Array).buffer.byteLength;
    if (view) {
      expect(wholeBuffer).toBe(slab(3000));
      expect(sizes.filter((n) => n === 3000)).toEqual([]);
    } else {
      expect(wholeBuffer).toBe(3000);
      expect(sizes.filter((n) => n === 3000)).toEqual([3000]);
    }
  });

  // `gatherSome`: held pieces are gathered at most `receiveStepBytes` per
  // step; the budget running out exactly at a piece's end or inside one
  // both leave the rest for the next step, and the loop always ends.
  it.each([4096, 3000, 1, 40_000])(
    'a message held in 8 lent pieces is gathered in steps of %i bytes, every byte once',
    (step) => {
      const { received, feed, steps } = lendingServer({
        retainLentChunks: true,
        receiveStepBytes: step,
      });
      const parts = Array.from({ length: 8 }, (_, i) => bytes(4096, 20 + i));
      parts.forEach((part, i) =>
        feed(masked(i === 0 ? Opcode.Binary : Opcode.Continuation, part, i === 7)),
      );
      expect(received.map((r) => [r.bufferType, r.buffer.length])).toEqual([
        ['binary-message', 8 * 4096],
      ]);
      parts.forEach((part, i) => {
        expect(received[0]?.buffer.subarray(i * 4096, (i + 1) * 4096)).toEqual(part);
      });
      // One step per budget's worth (the last one ends the message).
      expect(steps.pending).toBe(Math.ceil((8 * 4096) / step) - 1);
    },
  );

  // `checkUtf8`: after a text message checked piece by piece, the next one
  // whole in one piece goes through the host's fast check again.
  it('a whole text message after a fragmented one is checked by the injected isUtf8', () => {
    const checked: number[] = [];
    const { received, feed } = lendingServer({
      isUtf8: (b) => {
        checked.push(b.length);
        return true;
      },
    });
    const text = (s: string) => new TextEncoder().encode(s);
    feed(masked(Opcode.Text, text('héllo, '), false));
    feed(masked(Opcode.Continuation, text('wörld'), true));
    feed(masked(Opcode.Text, text('again, whole')));
    expect(received.map((r) => r.bufferType)).toEqual(['utf8-message', 'utf8-message']);
    expect(checked).toEqual([12]);
  });
});
