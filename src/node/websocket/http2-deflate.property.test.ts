import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ClientPerMessageDeflate } from './client.js';
import { http2Pair, openedClient, type Http2Kind } from './http2-pair.js';
import { WebSocket } from './websocket.js';

/**
 * Echo over RFC 8441 with the settings drawn too: TLS or h2c, the server's
 * and the client's permessage-deflate (off, defaults, or any parameters
 * and threshold), and messages of every kind and size, some across the
 * stream's 64 KiB flow-control window, some fragmented, some sent
 * uncompressed on a deflate connection. Each must come back as sent.
 */
const windowBits = fc.integer({ min: 9, max: 15 });
const serverDeflateArb = fc.oneof(
  fc.constant(false as const),
  fc.constant(true as const),
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
const messageArb = fc.record({
  binary: fc.boolean(),
  size: fc.oneof(fc.nat(200), fc.constantFrom(0, 65_535, 65_536, 200_000)),
  seed: fc.nat(),
  fragments: fc.integer({ min: 1, max: 3 }),
  compress: fc.boolean(),
});

function payload(size: number, seed: number, binary: boolean): Buffer {
  const out = Buffer.alloc(size);
  let x = seed | 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    // Text stays ASCII (valid UTF-8); half the binary bytes repeat (compressible).
    out[i] = binary ? (i & 1 ? x & 0xff : 7) : 0x61 + ((x >>> 0) % 26);
  }
  return out;
}

describe('echo over HTTP/2 with drawn deflate settings', () => {
  it('returns every message as sent', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Http2Kind>('h2c', 'tls'),
        serverDeflateArb,
        clientDeflateArb,
        fc.array(messageArb, { minLength: 1, maxLength: 6 }),
        async (kind, serverDeflate, clientDeflate, messages) => {
          const p = await http2Pair(kind, { perMessageDeflate: serverDeflate });
          try {
            const client = await openedClient(
              new WebSocket(p.url, { ...p.clientOptions, perMessageDeflate: clientDeflate }),
            );
            const received: { data: Buffer; isBinary: boolean }[] = [];
            const all = new Promise<void>((resolve) => {
              client.on('message', (data: Buffer, isBinary: boolean) => {
                received.push({ data, isBinary });
                if (received.length === messages.length) resolve();
              });
            });
            const sent: Buffer[] = [];
            for (const m of messages) {
              const data = payload(m.size, m.seed, m.binary);
              sent.push(data);
              const step = Math.ceil(data.length / m.fragments) || 1;
              for (let at = 0, i = 0; i < m.fragments; i++, at += step) {
                client.send(data.subarray(at, at + step), {
                  binary: m.binary,
                  compress: m.compress,
                  fin: i === m.fragments - 1,
                });
              }
            }
            await all;
            expect(received.map((r) => r.isBinary)).toEqual(messages.map((m) => m.binary));
            received.forEach((r, i) => expect(r.data.equals(sent[i] as Buffer)).toBe(true));
            if (serverDeflate === false || clientDeflate === false)
              expect(client.extensions).toBe('');
            else expect(client.extensions).toMatch(/^permessage-deflate/);
            client.close();
          } finally {
            await p.close();
          }
        },
      ),
      { numRuns: 30 },
    );
  }, 120_000);
});
