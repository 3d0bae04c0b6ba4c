import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { deflateRawSync } from 'node:zlib';
import { concat, equalBytes } from '../bytes/index.js';
import { nodeCrypto } from '../node/runtime/index.js';
import { createZlibDeflateCodec } from '../node/websocket/zlib-codec.js';
import { connectHandles } from '../testing/index.js';
import type { DeflateCodec, InflateResult } from './deflate-codec.js';
import type { PerMessageDeflateParams } from './extensions.js';
import { createClientHandle, createServerHandle } from './index.js';
import { createPakoDeflateCodec } from './pako-codec.js';

const TAIL = Uint8Array.of(0x00, 0x00, 0xff, 0xff);

/** Joins an inflate result's chunks, or fails the test with its reason. */
function inflated(result: InflateResult): Uint8Array {
  if (!result.ok) throw new Error(`inflate failed: ${result.reason} ${result.message}`);
  return concat(result.chunks.map((c) => c.slice()));
}

/** Compressible-ish bytes: runs of a small alphabet, so matches of every distance occur. */
const messageArb = fc.oneof(
  fc.uint8Array({ maxLength: 3000 }),
  fc
    .array(fc.constantFrom('abc', 'hello ', 'xyz', '{"k":1}', '\u00e9t\u00e9 '), { maxLength: 400 })
    .map((parts) => new TextEncoder().encode(parts.join(''))),
);

/** Incompressible bytes from a seed (fast-check's arrays lean to runs, which match nearby). */
function noise(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed | 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const codecs = {
  pako: (chunk: number) => createPakoDeflateCodec({ outputChunkSize: chunk }),
  zlib: (chunk: number) => createZlibDeflateCodec({ outputChunkSize: chunk }),
} as const;
type CodecName = keyof typeof codecs;

describe('pako DeflateCodec interoperates with the node:zlib codec (RFC 7692 framing)', () => {
  it('compress with one, decompress with the other: every window bits and takeover setting', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<[CodecName, CodecName]>(
          ['pako', 'zlib'],
          ['zlib', 'pako'],
          ['pako', 'pako'],
        ),
        fc.integer({ min: 8, max: 15 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.constantFrom(256, 1024, 16 * 1024),
        fc.array(messageArb, { minLength: 1, maxLength: 8 }),
        (names, windowBits, takeover, level, memLevel, chunk, messages) => {
          const sender = codecs[names[0]](chunk).createDeflater({ windowBits, level, memLevel });
          const receiver = codecs[names[1]](chunk).createInflater({ windowBits });
          for (const message of messages) {
            const compressed = sender.deflate(message);
            expect(compressed.subarray(-4)).toEqual(TAIL);
            const body = compressed.subarray(0, -4);
            const out = inflated(receiver.inflate(concat([body, TAIL]), 1 << 20, true));
            expect(equalBytes(out, message)).toBe(true);
            if (!takeover) {
              sender.reset();
              receiver.reset();
            }
          }
          sender.close();
          receiver.close();
        },
      ),
      { numRuns: 150 },
    );
  });

  it('pako and zlib deflaters stay within the window: a w-bit inflater of the other reads them', () => {
    // A deflater at window w must never refer further back than 2^w. Within
    // one inflate call zlib can reach back into its own output, so the test
    // refers across messages (context takeover): the second message repeats
    // the first, and a deflater that ignored w would point 30 KB back, past
    // the 2^w bytes the inflater keeps ("invalid distance too far back").
    fc.assert(
      fc.property(
        fc.integer({ min: 9, max: 15 }),
        fc.boolean(),
        fc.integer(),
        (windowBits, pakoSends, seed) => {
          const first = noise(30_000, seed);
          const sender = (pakoSends ? codecs.pako : codecs.zlib)(16384).createDeflater({
            windowBits,
          });
          const receiver = (pakoSends ? codecs.zlib : codecs.pako)(16384).createInflater({
            windowBits,
          });
          for (const message of [first, first]) {
            const body = sender.deflate(message).subarray(0, -4);
            const out = inflated(receiver.inflate(concat([body, TAIL]), 1 << 20, true));
            expect(equalBytes(out, message)).toBe(true);
          }
        },
      ),
      { numRuns: 20 },
    );
  });

  it('bounds output: stops with too-big past maxOutputLength, producing at most limit + 1 bytes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 50_000 }),
        fc.integer({ min: 1, max: 100_000 }),
        (limit, size) => {
          const body = deflateRawSync(new Uint8Array(size), { finishFlush: 2 });
          const result = createPakoDeflateCodec()
            .createInflater({ windowBits: 15 })
            .inflate(body, limit);
          if (size > limit) expect(result).toMatchObject({ ok: false, reason: 'too-big' });
          else expect(result).toMatchObject({ ok: true, length: size });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('finds truncation and trailing garbage at the end of a message, as the zlib codec does', () => {
    fc.assert(
      fc.property(messageArb, fc.nat(), (message, cutSeed) => {
        const body = createZlibDeflateCodec()
          .createDeflater({ windowBits: 15 })
          .deflate(message)
          .subarray(0, -4);
        fc.pre(body.length > 1);
        const cut = body.subarray(0, 1 + (cutSeed % (body.length - 1)));
        const verdicts = (['pako', 'zlib'] as const).map((name) => {
          const result = codecs[name](16384)
            .createInflater({ windowBits: 15 })
            .inflate(concat([cut, TAIL]), 1 << 20, true);
          return result.ok;
        });
        // Same verdict from both on every cut (a cut may by chance land on a block boundary).
        expect(verdicts[0]).toBe(verdicts[1]);
      }),
      { numRuns: 200 },
    );
    const finalBlock = deflateRawSync(new TextEncoder().encode('final'));
    for (const [after, ok] of [
      [TAIL, true],
      [Uint8Array.of(0, 0, 0, 0xff, 0xff), true],
      [Uint8Array.of(1, 0, 0, 0xff, 0xff), false],
    ] as const) {
      const result = createPakoDeflateCodec()
        .createInflater({ windowBits: 15 })
        .inflate(concat([finalBlock, after]), 100, true);
      expect(result.ok).toBe(ok);
    }
  });

  it('runs a handle pair with pako on one side and zlib on the other, settings drawn', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.record({
          serverNoContextTakeover: fc.boolean(),
          clientNoContextTakeover: fc.boolean(),
          serverMaxWindowBits: fc.integer({ min: 8, max: 15 }),
          clientMaxWindowBits: fc.integer({ min: 8, max: 15 }),
        }),
        fc.array(messageArb, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 4096 }),
        (pakoClient, params: PerMessageDeflateParams, messages, chop) => {
          const pako: DeflateCodec = createPakoDeflateCodec();
          const zlib: DeflateCodec = createZlibDeflateCodec();
          const client = createClientHandle({
            crypto: nodeCrypto,
            deflateCodec: pakoClient ? pako : zlib,
          });
          const server = createServerHandle({
            crypto: nodeCrypto,
            deflateCodec: pakoClient ? zlib : pako,
          });
          client.open({ perMessageDeflate: params });
          server.open({ perMessageDeflate: params });
          const pair = connectHandles(client, server, { client: { chop }, server: { chop } });
          for (const m of messages) {
            client.send('binary-message', m);
            server.send('binary-message', m);
          }
          pair.flush();
          for (const side of [pair.server, pair.client]) {
            const got = side.messages().map((m) => m.data);
            expect(got.length).toBe(messages.length);
            got.forEach((data, i) => expect(equalBytes(data, messages[i]!)).toBe(true));
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses bad options and use after close', () => {
    expect(() => createPakoDeflateCodec({ outputChunkSize: 10 })).toThrow(RangeError);
    expect(() => createPakoDeflateCodec().createInflater({ windowBits: 7 })).toThrow(RangeError);
    const inflater = createPakoDeflateCodec().createInflater({ windowBits: 15 });
    inflater.close();
    expect(() => inflater.inflate(Uint8Array.of(1), 10)).toThrow(/closed/);
  });
});
