/**
 * `receive(null, ctx, { pieces: true })`: an uncompressed binary message
 * that arrives in several lent chunks is indicated as views of those
 * chunks (`buffers`), not gathered into one buffer (issue 8, large
 * messages: the gather copy and the fresh message buffer were the server's
 * largest own costs echoing 1 MiB).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  createClientHandle,
  createServerHandle,
  type HandleProperties,
  type IndicateReceiveCompleteAction,
  type WebSocketHandle,
} from './index.js';
import { createPortableCrypto } from './portable-crypto.js';
import { concat, equalBytes } from '../bytes/index.js';

// The host's Web Crypto behind the portable Crypto rather than node:crypto, so
// this file also runs on Deno, Bun and in Chromium (test/portable).
const hostCrypto = createPortableCrypto((into) => globalThis.crypto.getRandomValues(into));

/** The wire bytes of `messages` sent by a client handle. */
function wire(messages: readonly { text: boolean; data: Uint8Array }[]): Uint8Array {
  const client = createClientHandle({ crypto: hostCrypto });
  client.open();
  for (const m of messages) client.send(m.text ? 'utf8-message' : 'binary-message', m.data);
  const out: Uint8Array[] = [];
  for (let a = client.getAction('send'); a !== undefined; a = client.getAction('send')) {
    if (a.type === 'send-to-network') out.push(...a.buffers);
    client.completeAction(a.actionContext, a.type === 'send-to-network' ? a.byteLength : 0);
  }
  return concat(out); // a fresh plain Uint8Array: its slice() copies
}

/** Feeds `bytes` to `server` in lent chunks of `chop` bytes (fresh memory each); returns the indications. */
function receiveAll(
  server: WebSocketHandle,
  bytes: Uint8Array,
  chop: number,
  pieces: boolean,
): IndicateReceiveCompleteAction[] {
  const got: IndicateReceiveCompleteAction[] = [];
  let at = 0;
  server.receive(null, undefined, pieces ? { pieces: true } : undefined);
  for (;;) {
    const a = server.getAction('receive');
    if (a === undefined) break;
    if (a.type === 'receive-from-network') {
      if (at >= bytes.length) break;
      // A fresh copy: the host's own memory, never written again (retainLentChunks).
      const chunk = bytes.slice(at, Math.min(bytes.length, at + chop));
      at += chunk.length;
      server.completeAction(a.actionContext, chunk);
    } else if (a.type === 'indicate-receive-complete') {
      got.push(a);
      server.completeAction(a.actionContext, 0);
      server.receive(null, undefined, pieces ? { pieces: true } : undefined);
    } else {
      server.completeAction(a.actionContext, 0);
    }
  }
  return got;
}

function serverWith(properties: HandleProperties = {}): WebSocketHandle {
  const server = createServerHandle({
    crypto: hostCrypto,
    assembleMessages: true,
    retainLentChunks: true,
    ...properties,
  });
  server.open();
  return server;
}

// The message's bytes, from the one buffer or the pieces (no Buffer: this file runs in a page too).
const whole = (a: IndicateReceiveCompleteAction): Uint8Array =>
  a.buffers === undefined ? a.buffer : concat(a.buffers);

describe('receive with { pieces: true }', () => {
  it('hands a 1 MiB binary message in 64 KiB reads out as views, allocating nothing for it', () => {
    const sizes: number[] = [];
    const server = serverWith({
      allocate: (n) => {
        sizes.push(n);
        return new Uint8Array(n);
      },
    });
    const message = new Uint8Array(1 << 20).map((_, i) => (i * 7) & 0xff);
    const got = receiveAll(server, wire([{ text: false, data: message }]), 65536, true);
    expect(got).toHaveLength(1);
    const [m] = got as [IndicateReceiveCompleteAction];
    expect(m.bufferType).toBe('binary-message');
    expect(m.buffer.length).toBe(0);
    expect(m.buffers?.length).toBe(17); // the first read also carries the 10-byte header and key
    expect(equalBytes(whole(m), message)).toBe(true);
    // No message buffer: the pieces are views of the reads.
    expect(sizes.filter((n) => n >= 65536)).toEqual([]);
    expect(server.receiveHeldBytes).toBe(0);
  });

  it('gathers as before without the option, for text, and without retainLentChunks', () => {
    const message = new Uint8Array(300_000).fill(0x61);
    const bytes = wire([{ text: false, data: message }]);
    const plain = receiveAll(serverWith(), bytes, 65536, false);
    expect(plain[0]?.buffers).toBeUndefined();
    expect(plain[0]?.buffer.length).toBe(300_000);
    const notLent = receiveAll(serverWith({ retainLentChunks: false }), bytes, 65536, true);
    expect(notLent[0]?.buffers).toBeUndefined();
    expect(notLent[0]?.buffer.length).toBe(300_000);
    const text = receiveAll(serverWith(), wire([{ text: true, data: message }]), 65536, true);
    expect(text[0]?.bufferType).toBe('utf8-message');
    expect(text[0]?.buffers).toBeUndefined();
    expect(text[0]?.buffer.length).toBe(300_000);
  });

  it('a message in one read is still one view (no buffers)', () => {
    const got = receiveAll(
      serverWith(),
      wire([{ text: false, data: new Uint8Array(1000).fill(1) }]),
      65536,
      true,
    );
    expect(got[0]?.buffers).toBeUndefined();
    expect(got[0]?.buffer.length).toBe(1000);
  });

  it('any mix of messages and chops: every byte in order, pieces or not', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            text: fc.boolean(),
            size: fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 300_000 })),
            seed: fc.integer({ min: 0, max: 255 }),
          }),
          { minLength: 1, maxLength: 6 },
        ),
        fc.integer({ min: 1, max: 70_000 }),
        (specs, chop) => {
          const messages = specs.map((s) => ({
            text: s.text,
            data: new Uint8Array(s.size).fill(s.text ? 0x61 : s.seed),
          }));
          const got = receiveAll(serverWith(), wire(messages), chop, true);
          expect(got.map((a) => a.bufferType)).toEqual(
            messages.map((m) => (m.text ? 'utf8-message' : 'binary-message')),
          );
          got.forEach((a, i) => {
            expect(equalBytes(whole(a), messages[i]!.data)).toBe(true);
            if (a.buffers !== undefined) expect(a.buffer.length).toBe(0);
          });
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('sendPieces', () => {
  it('a server writes one frame: one header, then the pieces themselves (no join)', () => {
    const server = serverWith();
    const pieces = [new Uint8Array(70_000).fill(1), new Uint8Array(5).fill(2), new Uint8Array(0)];
    server.sendPieces('binary-message', pieces, 'ctx');
    const a = server.getAction('send');
    expect(a?.type).toBe('send-to-network');
    if (a?.type !== 'send-to-network') return;
    expect(a.buffers.slice(1)).toEqual([pieces[0], pieces[1]]);
    expect(a.buffers[1]).toBe(pieces[0]); // the caller's memory, not a copy
    // FIN + binary, unmasked, 64-bit length 70,005 (0x011175).
    expect(Array.from(a.buffers[0]!)).toEqual([0x82, 127, 0, 0, 0, 0, 0, 0x01, 0x11, 0x75]);
    expect(a.byteLength).toBe(10 + 70_005);
    server.completeAction(a.actionContext, a.byteLength);
    const done = server.getAction('send');
    expect(done?.type === 'indicate-send-complete' && done.context).toBe('ctx');
  });

  it('a client joins the pieces and masks them as one message', () => {
    const client = createClientHandle({ crypto: hostCrypto });
    client.open();
    client.sendPieces('binary-message', [new Uint8Array([1, 2]), new Uint8Array([3])]);
    const a = client.getAction('send');
    if (a?.type !== 'send-to-network') throw new Error('no write');
    const server = serverWith();
    const got = receiveAll(server, concat(a.buffers), 100, false);
    expect(Array.from(got[0]!.buffer)).toEqual([1, 2, 3]);
  });
});
