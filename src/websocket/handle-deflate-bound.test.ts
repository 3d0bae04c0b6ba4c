/**
 * Memory and work bounds of compressed input (issue 8 review, items 1-2):
 * a frame still arriving holds the compressed bytes that came, never what
 * they inflate to; a fragmented bomb stops at `maxMessageSize` across
 * fragments; with `receiveStepBytes` one `getAction` inflates and gathers
 * at most about that many bytes.
 */
import { deflateRawSync, constants } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../node/runtime/index.js';
import { zlibDeflateCodec } from '../node/websocket/zlib-codec.js';
import { HandleDriver } from '../testing/index.js';
import type { DeflateCodec } from './deflate-codec.js';
import { createServerHandle, type WebSocketHandle } from './index.js';

const PARAMS = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

/** The zlib codec, counting the inflated bytes it produced. */
function countingCodec(): { codec: DeflateCodec; inflated: () => number } {
  let inflated = 0;
  const codec: DeflateCodec = {
    stableOutput: true,
    createDeflater: zlibDeflateCodec.createDeflater,
    createInflater(options) {
      const inner = zlibDeflateCodec.createInflater(options);
      return {
        inflate(data, max, end) {
          const r = inner.inflate(data, max, end);
          if (r.ok) inflated += r.length;
          return r;
        },
        reset: () => inner.reset(),
        close: () => inner.close(),
      };
    },
  };
  return { codec, inflated: () => inflated };
}

/** The RFC 7692 payload of `size` zeros: a zip bomb (~1030:1). */
function bombPayload(size: number): Uint8Array {
  const z = deflateRawSync(new Uint8Array(size), { finishFlush: constants.Z_SYNC_FLUSH });
  return new Uint8Array(z.subarray(0, z.length - 4));
}

/** A masked (key 0) binary frame header, RSV1 when `compressed`, 64-bit length. */
function header(length: number, options: { fin: boolean; first: boolean }): Uint8Array {
  const h = new Uint8Array(14);
  h[0] = (options.fin ? 0x80 : 0) | (options.first ? 0x40 | 0x02 : 0x00);
  h[1] = 0x80 | 127;
  new DataView(h.buffer).setBigUint64(2, BigInt(length));
  return h;
}

function join(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function server(codec: DeflateCodec, extra: object = {}): WebSocketHandle {
  const h = createServerHandle({
    crypto: nodeCrypto,
    deflateCodec: codec,
    assembleMessages: true,
    retainLentChunks: true,
    ...extra,
  });
  h.open({ perMessageDeflate: PARAMS });
  return h;
}

describe('compressed input: memory bounds', () => {
  it('50 connections sending a zip-bomb prefix hold its compressed bytes, not what it inflates to', () => {
    const { codec, inflated } = countingCodec();
    const payload = bombPayload(16 << 20); // ~16 KiB inflating to 16 MiB
    const prefix = payload.subarray(0, Math.floor(payload.length * 0.6));
    const handles: WebSocketHandle[] = [];
    for (let i = 0; i < 50; i++) {
      const h = server(codec);
      const d = new HandleDriver(h);
      d.postReceive();
      // The frame announces the whole payload; 60 % of it arrives, in 1 KiB reads.
      const bytes = join(header(payload.length, { fin: true, first: true }), prefix);
      for (let at = 0; at < bytes.length; at += 1024) d.deliver(bytes.slice(at, at + 1024));
      d.run();
      expect(d.messages()).toEqual([]);
      handles.push(h);
    }
    // Before: each prefix was inflated as it came (~9.6 MiB each, 480 MiB in all).
    expect(inflated()).toBe(0);
    const held = handles.reduce((n, h) => n + h.receiveHeldBytes, 0);
    expect(held).toBeLessThanOrEqual(50 * prefix.length);
  });

  it('the rest of the frame arriving inflates it and delivers the message', () => {
    const { codec } = countingCodec();
    const payload = bombPayload(4 << 20);
    const h = server(codec);
    const d = new HandleDriver(h);
    d.postReceive();
    const bytes = join(header(payload.length, { fin: true, first: true }), payload);
    const cut = 14 + (payload.length >> 1);
    d.deliver(bytes.slice(0, cut));
    d.run();
    expect(h.receiveHeldBytes).toBe(cut - 14);
    d.deliver(bytes.slice(cut));
    d.run();
    const got = d.messages();
    expect(got.map((m) => m.data.length)).toEqual([4 << 20]);
    expect(got[0]?.data.every((b) => b === 0)).toBe(true);
    expect(h.receiveHeldBytes).toBe(0);
  });

  it('a fragmented bomb stops at maxMessageSize across fragments, holding no more than that', () => {
    const { codec } = countingCodec();
    const max = 8 << 20;
    const h = server(codec, { maxMessageSize: max });
    const d = new HandleDriver(h);
    d.postReceive();
    const stream = bombPayload(12 << 20); // one stream, cut in 4 fragments of ~3 MiB each
    const quarter = Math.ceil(stream.length / 4);
    let peak = 0;
    const piece = stream.subarray(0, quarter);
    for (let i = 0; i < 4; i++) {
      const part = stream.subarray(i * quarter, (i + 1) * quarter);
      d.deliver(join(header(part.length, { fin: false, first: i === 0 }), part));
      d.run();
      peak = Math.max(peak, h.receiveHeldBytes);
    }
    const got = d.messages();
    expect(got.map((m) => [m.type, m.close?.code, m.error?.code])).toEqual([
      ['close', 1009, 'ERR_WS_MESSAGE_TOO_BIG'],
    ]);
    // At most the limit (+1 byte, the one that proves it) and the last frame's compressed bytes.
    expect(peak).toBeLessThanOrEqual(max + 1 + piece.length);
    expect(h.receiveHeldBytes).toBe(0);
  });
});

describe('compressed input: work per step (receiveStepBytes)', () => {
  it('a 16 MiB bomb is inflated and gathered over many getAction calls of at most ~1 MiB each', () => {
    const { codec, inflated } = countingCodec();
    const step = 1 << 20;
    const sizes: number[] = [];
    const h = server(codec, {
      receiveStepBytes: step,
      allocate: (n: number) => {
        sizes.push(n);
        return new Uint8Array(n);
      },
    });
    h.receive(null);
    const payload = bombPayload(16 << 20);
    const read = h.getAction('receive');
    expect(read?.type).toBe('receive-from-network');
    h.completeAction(
      read?.actionContext as number,
      join(header(payload.length, { fin: true, first: true }), payload),
    );
    let calls = 0;
    let maxInflatedPerCall = 0;
    let message: Uint8Array | undefined;
    for (;;) {
      const before = inflated();
      const action = h.getAction('receive');
      calls++;
      maxInflatedPerCall = Math.max(maxInflatedPerCall, inflated() - before);
      if (action === undefined) {
        expect(h.receivePending).toBe(true);
        continue;
      }
      expect(action.type).toBe('indicate-receive-complete');
      if (action.type === 'indicate-receive-complete') message = action.buffer;
      break;
    }
    expect(message?.length).toBe(16 << 20);
    expect(message?.every((b) => b === 0)).toBe(true);
    expect(h.receivePending).toBe(false);
    // Inflating 16 MiB and gathering 16 MiB in steps of ~1 MiB: ~30 calls.
    expect(calls).toBeGreaterThanOrEqual(24);
    // A step inflates at most its budget plus what one 1 KiB piece can expand to.
    expect(maxInflatedPerCall).toBeLessThanOrEqual(step + 1032 * 1024);
    // One exact-size message buffer (nothing copied on the way).
    expect(sizes.filter((n) => n > 4096)).toEqual([16 << 20]);
  });

  it('without a step budget one getAction does it all (the default)', () => {
    const { codec } = countingCodec();
    const h = server(codec);
    h.receive(null);
    const payload = bombPayload(4 << 20);
    const read = h.getAction('receive');
    h.completeAction(
      read?.actionContext as number,
      join(header(payload.length, { fin: true, first: true }), payload),
    );
    const action = h.getAction('receive');
    expect(action?.type).toBe('indicate-receive-complete');
    expect(h.receivePending).toBe(false);
  });
});
