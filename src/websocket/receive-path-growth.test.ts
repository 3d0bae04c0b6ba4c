/**
 * How the assembly buffer grows for an inflated message (outside review 3,
 * mutant M11: passing the announced size as the final size for compressed
 * frames too broke no test). A compressed frame's length says nothing
 * about the inflated size, so the buffer must grow geometrically with what
 * the codec yields: a few allocations per message, total bytes a small
 * multiple of the message. Growing to the exact size per inflated piece
 * would copy quadratically.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../node/runtime/index.js';
import { zlibDeflateCodec } from '../node/websocket/zlib-codec.js';
import { connectHandles } from '../testing/index.js';
import { createClientHandle, createServerHandle, type DeflateCodec } from './index.js';

/**
 * zlib, but each call's output is copied into one buffer the inflater
 * reuses (so not `stableOutput`), and handed out in `piece`-byte chunks.
 */
function reusingCodec(piece: number): DeflateCodec {
  return {
    createDeflater: zlibDeflateCodec.createDeflater,
    createInflater(options) {
      const inner = zlibDeflateCodec.createInflater(options);
      let reused = new Uint8Array(0);
      return {
        inflate(data, max, end) {
          const r = inner.inflate(data, max, end);
          if (!r.ok || r.length === 0) return r;
          if (reused.length < r.length) reused = new Uint8Array(r.length);
          let at = 0;
          for (const c of r.chunks) {
            reused.set(c, at);
            at += c.length;
          }
          const chunks: Uint8Array[] = [];
          for (let i = 0; i < r.length; i += piece) {
            chunks.push(reused.subarray(i, Math.min(r.length, i + piece)));
          }
          return { ok: true, chunks, length: r.length };
        },
        reset: () => inner.reset(),
        close: () => inner.close(),
      };
    },
  };
}

function compressible(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed | 1;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = 0x61 + ((x >>> 24) % 4);
  }
  return out;
}

describe('assembly growth for inflated messages (non-stable codec)', () => {
  it('grows geometrically: few allocations and O(size) bytes, however small the pieces', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 64 * 1024, max: 1024 * 1024 }),
        fc.constantFrom(512, 4096, 16_384),
        fc.integer({ min: 1, max: 1000 }),
        (size, piece, seed) => {
          const codec = reusingCodec(piece);
          const sizes: number[] = [];
          const client = createClientHandle({
            crypto: nodeCrypto,
            deflateCodec: codec,
            deflateThreshold: 0,
          });
          const server = createServerHandle({
            crypto: nodeCrypto,
            deflateCodec: codec,
            assembleMessages: true,
            allocate: (n) => {
              sizes.push(n);
              return new Uint8Array(n);
            },
          });
          const deflate = {
            serverNoContextTakeover: false,
            clientNoContextTakeover: false,
            serverMaxWindowBits: 15,
            clientMaxWindowBits: 15,
          };
          client.open({ perMessageDeflate: deflate });
          server.open({ perMessageDeflate: deflate });
          const p = connectHandles(client, server);
          const message = compressible(size, seed);
          p.client.handle.send('binary-message', message);
          p.flush();
          const got = p.server.messages();
          expect(got).toHaveLength(1);
          expect(Buffer.from(got[0]?.data ?? []).equals(Buffer.from(message))).toBe(true);
          const total = sizes.reduce((a, b) => a + b, 0);
          // Doubling from a small start: about log2(size / start) growths, total < 4x.
          expect(sizes.length).toBeLessThanOrEqual(24);
          expect(total).toBeLessThanOrEqual(4 * size + 64 * 1024);
        },
      ),
      { numRuns: 12 },
    );
  });
});
