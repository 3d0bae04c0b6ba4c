import zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concat, equalBytes, fromHex, toHex } from '../../bytes/index.js';
import type { InflateResult, Inflater } from '../../websocket/deflate-codec.js';
import { createZlibDeflateCodec, zlibDeflateCodec } from './zlib-codec.js';

const ascii = (text: string) => new TextEncoder().encode(text);
const TAIL = fromHex('0000ffff');

function joined(result: InflateResult): Uint8Array {
  if (!result.ok) throw new Error(`inflate failed: ${result.reason}: ${result.message}`);
  const bytes = concat(result.chunks);
  expect(bytes.length).toBe(result.length);
  return bytes;
}

/** Inflates one RFC 7692 message: the payload, then the tail the sender stripped. */
function inflateMessage(inflater: Inflater, payload: Uint8Array, limit = 1 << 20): Uint8Array {
  return concat([
    joined(inflater.inflate(payload, limit)),
    joined(inflater.inflate(TAIL, limit, true)),
  ]);
}

describe('node:zlib internals', () => {
  it('still has the handle API the codec drives (fails loudly when Node changes it)', () => {
    // If this fails, zlib-codec.ts's comment explains what it needs and why.
    for (const stream of [zlib.createInflateRaw(), zlib.createDeflateRaw()]) {
      const internals = stream as unknown as Record<string, unknown>;
      const handle = internals['_handle'] as Record<string, unknown>;
      expect(typeof handle['writeSync']).toBe('function');
      expect(typeof handle['reset']).toBe('function');
      expect(typeof handle['close']).toBe('function');
      expect(typeof handle['onerror']).toBe('function');
      expect(internals['_writeState']).toBeInstanceOf(Uint32Array);
      stream.close();
    }
    expect(() => zlibDeflateCodec.createInflater({ windowBits: 15 }).close()).not.toThrow();
    expect(() => zlibDeflateCodec.createDeflater({ windowBits: 15 }).close()).not.toThrow();
  });

  it('has a one-shot _processChunk sync path, which is why the codec does not use it', () => {
    // processChunkSync ends with _close(self): the context dies after one call.
    // Should Node ever keep it open, _processChunk becomes an option again.
    const stream = zlib.createDeflateRaw() as unknown as {
      _processChunk(chunk: Uint8Array, flush: number): Uint8Array;
      _handle: unknown;
    };
    stream._processChunk(ascii('Hello'), zlib.constants.Z_SYNC_FLUSH);
    expect(stream._handle).toBeNull();
  });
});

describe('zlib deflater', () => {
  it('produces the RFC 7692 §7.2.3.1-2 bytes, sharing the window between messages', () => {
    const deflater = zlibDeflateCodec.createDeflater({ windowBits: 15 });
    expect(toHex(deflater.deflate(ascii('Hello')))).toBe('f248cdc9c907000000ffff');
    // §7.2.3.2: the second "Hello" is a back-reference into the first.
    expect(toHex(deflater.deflate(ascii('Hello')))).toBe('f2001100000000ffff');
    deflater.reset();
    expect(toHex(deflater.deflate(ascii('Hello')))).toBe('f248cdc9c907000000ffff');
    deflater.close();
  });

  it('ends an empty message with the sync-flush marker even when zlib emits nothing', () => {
    const deflater = zlibDeflateCodec.createDeflater({ windowBits: 15 });
    expect(toHex(deflater.deflate(new Uint8Array(0)))).toBe('000000ffff');
    // zlib refuses to flush twice with no input (Z_BUF_ERROR, no output).
    expect(toHex(deflater.deflate(new Uint8Array(0)))).toBe('000000ffff');
    expect(toHex(deflater.deflate(ascii('Hello')))).toBe('f248cdc9c907000000ffff');
    deflater.close();
  });

  it('raises an 8-bit window to 9, whose output a peer inflating with 8 bits reads', () => {
    const deflater = zlibDeflateCodec.createDeflater({ windowBits: 8 });
    const inflater = zlibDeflateCodec.createInflater({ windowBits: 8 });
    // Repeats 300 bytes apart: too far for a 256-byte window, so zlib (max distance 250 at
    // 9 bits) must not reference them.
    const block = Uint8Array.from({ length: 300 }, (_, i) => (i * 7919) % 251);
    const message = concat([block, block, block]);
    for (let i = 0; i < 3; i++) {
      expect(inflateMessage(inflater, deflater.deflate(message).subarray(0, -4))).toEqual(message);
    }
    deflater.close();
    inflater.close();
  });

  it('returns contiguous bytes the caller owns when the output spans several slabs', () => {
    const codec = createZlibDeflateCodec({ outputChunkSize: 1024 });
    const deflater = codec.createDeflater({ windowBits: 15, level: 0 });
    const message = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 31) & 0xff);
    const compressed = deflater.deflate(message);
    expect(compressed.length).toBeGreaterThan(100_000); // stored blocks
    expect(toHex(compressed.subarray(-4))).toBe('0000ffff');
    const next = deflater.deflate(ascii('more'));
    const inflated = zlib.inflateRawSync(concat([compressed, next]), {
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
    });
    expect(equalBytes(inflated, concat([message, ascii('more')]))).toBe(true);
    deflater.close();
  });

  it('rejects window bits outside 8-15 and a used-after-close deflater', () => {
    expect(() => zlibDeflateCodec.createDeflater({ windowBits: 7 })).toThrow(RangeError);
    expect(() => zlibDeflateCodec.createDeflater({ windowBits: 16 })).toThrow(RangeError);
    const deflater = zlibDeflateCodec.createDeflater({ windowBits: 15 });
    deflater.close();
    deflater.close(); // twice is fine
    expect(() => deflater.deflate(ascii('x'))).toThrow(/closed/);
  });
});

describe('zlib inflater', () => {
  it('reads the RFC 7692 §7.2.3 examples', () => {
    const inflater = zlibDeflateCodec.createInflater({ windowBits: 15 });
    expect(inflateMessage(inflater, fromHex('f248cdc9c90700'))).toEqual(ascii('Hello'));
    expect(inflateMessage(inflater, fromHex('f200110000'))).toEqual(ascii('Hello'));
    inflater.reset();
    expect(inflateMessage(inflater, fromHex('f248cdc9c90700'))).toEqual(ascii('Hello'));
    inflater.close();
  });

  it('reads §7.2.3.4 (a final block) and keeps reading later messages', () => {
    // After a BFINAL block zlib reports the stream ended and reads nothing more;
    // the inflater starts a new stream instead of silently dropping what follows.
    const inflater = zlibDeflateCodec.createInflater({ windowBits: 15 });
    expect(inflateMessage(inflater, fromHex('f348cdc9c9070000'))).toEqual(ascii('Hello'));
    expect(inflateMessage(inflater, fromHex('f248cdc9c90700'))).toEqual(ascii('Hello'));
    expect(inflateMessage(inflater, fromHex('f348cdc9c9070000'))).toEqual(ascii('Hello'));
    expect(inflateMessage(inflater, fromHex('f248cdc9c90700'))).toEqual(ascii('Hello'));
    // The window does not survive the final block (zlib's reset clears it), so a
    // back-reference past it fails loudly instead of decoding to garbage.
    expect(inflater.inflate(fromHex('f348cdc9c9070000'), 100)).toMatchObject({ ok: true });
    expect(inflater.inflate(TAIL, 100, true)).toMatchObject({ ok: true });
    expect(inflater.inflate(fromHex('f200110000'), 100)).toMatchObject({
      ok: false,
      reason: 'corrupt',
    });
    inflater.close();
  });

  // The report: a BFINAL stream cut short came out short with no error.
  it('refuses a message whose DEFLATE data ends inside a block, or goes on after its final block', () => {
    let x = 1;
    // Text-like bytes that need Huffman blocks with dynamic headers (~3 KB compressed).
    const message = new Uint8Array(5000).map(
      () => 0x61 + (((x = (x * 1103515245 + 12345) >>> 0) >>> 16) % 13),
    );
    const whole = new Uint8Array(zlib.deflateRawSync(message));
    const sync = new Uint8Array(
      zlib.deflateRawSync(message, { finishFlush: zlib.constants.Z_SYNC_FLUSH }),
    );
    const endMessage = (payload: Uint8Array) => {
      const inflater = zlibDeflateCodec.createInflater({ windowBits: 15 });
      const first = inflater.inflate(payload, 1 << 20);
      const result = first.ok ? inflater.inflate(TAIL, 1 << 20, true) : first;
      inflater.close();
      return result;
    };
    for (const cut of [1, 2, 7, 100, whole.length >> 1, whole.length - 2, whole.length - 1]) {
      expect(endMessage(whole.subarray(0, cut)), `final block cut at ${cut}`).toMatchObject({
        ok: false,
        reason: 'corrupt',
      });
    }
    for (const cut of [1, 100, sync.length - 6, sync.length - 5]) {
      expect(endMessage(sync.subarray(0, cut)), `sync flush cut at ${cut}`).toMatchObject({
        ok: false,
        reason: 'corrupt',
      });
    }
    for (const junk of [[0x01], [0x00, 0x00], [0xde, 0xad, 0xbe, 0xef], [...sync]]) {
      expect(
        endMessage(concat([whole, Uint8Array.from(junk)])),
        `junk ${junk.length}`,
      ).toMatchObject({
        ok: false,
        reason: 'corrupt',
        message: expect.stringMatching(/after the final block/) as unknown,
      });
    }
    // Valid: the final block alone, with the §7.2.3.4 octet, and a sync flush.
    expect(endMessage(whole)).toMatchObject({ ok: true });
    expect(endMessage(concat([whole, Uint8Array.of(0)]))).toMatchObject({ ok: true });
    expect(endMessage(sync.subarray(0, sync.length - 4))).toMatchObject({ ok: true });
  });

  it('starts a new stream after a final block without the §7.2.3.4 octet (context takeover)', () => {
    const inflater = zlibDeflateCodec.createInflater({ windowBits: 15 });
    const hello = new Uint8Array(zlib.deflateRawSync(ascii('Hello')));
    for (let i = 0; i < 3; i++) expect(inflateMessage(inflater, hello)).toEqual(ascii('Hello'));
    expect(inflateMessage(inflater, fromHex('f248cdc9c90700'))).toEqual(ascii('Hello'));
    inflater.close();
  });

  it('reports corrupt data as a value, then can be reset or closed', () => {
    const inflater = zlibDeflateCodec.createInflater({ windowBits: 15 });
    const result = inflater.inflate(fromHex('ffffffff'), 1000);
    expect(result).toMatchObject({ ok: false, reason: 'corrupt' });
    expect(result.ok === false && result.message).toMatch(/invalid block type/);
    // Still corrupt until reset: zlib stays in its error state.
    expect(inflater.inflate(fromHex('f248cdc9c90700'), 1000)).toMatchObject({ ok: false });
    inflater.reset();
    expect(inflateMessage(inflater, fromHex('f248cdc9c90700'))).toEqual(ascii('Hello'));
    expect(inflater.inflate(fromHex('ff'), 1000)).toMatchObject({ ok: false, reason: 'corrupt' });
    inflater.close();
    expect(() => inflater.inflate(TAIL, 1000)).toThrow(/closed/);
  });

  it('reports a back-reference to a context it does not have as corrupt', () => {
    // §7.2.3.2's second "Hello" refers to the first: without it, there is nothing to copy.
    const inflater = zlibDeflateCodec.createInflater({ windowBits: 15 });
    const result = inflater.inflate(fromHex('f200110000'), 100);
    expect(result).toMatchObject({ ok: false, reason: 'corrupt' });
    expect(result.ok === false && result.message).toMatch(/too far back/);
    inflater.close();
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 4 }),
        fc.integer({ min: 8, max: 15 }),
        fc.integer({ min: 0, max: 4096 }),
        (pieces, windowBits, limit) => {
          const inflater = zlibDeflateCodec.createInflater({ windowBits });
          for (const piece of [...pieces, TAIL]) {
            const result = inflater.inflate(piece, limit);
            if (!result.ok) break;
            expect(result.length).toBeLessThanOrEqual(limit);
          }
          inflater.close();
        },
      ),
      { numRuns: 500 },
    );
  });

  it('hands out views that later calls never overwrite', () => {
    const codec = createZlibDeflateCodec({ outputChunkSize: 256 });
    const deflater = codec.createDeflater({ windowBits: 15 });
    const inflater = codec.createInflater({ windowBits: 15 });
    const kept: Uint8Array[] = [];
    const copies: Uint8Array[] = [];
    for (let i = 0; i < 50; i++) {
      const message = ascii(`message ${i} `.repeat(i + 1));
      const result = inflater.inflate(deflater.deflate(message), 1 << 20);
      const bytes = joined(result);
      expect(bytes).toEqual(message);
      if (result.ok) kept.push(...result.chunks);
      copies.push(...(result.ok ? result.chunks.map((c) => c.slice()) : []));
    }
    expect(kept).toEqual(copies);
    deflater.close();
    inflater.close();
  });

  it('does not let small outputs pin a slab grown for a big one', () => {
    const codec = createZlibDeflateCodec({ outputChunkSize: 1024 });
    const deflater = codec.createDeflater({ windowBits: 15 });
    const inflater = codec.createInflater({ windowBits: 15 });
    const big = inflater.inflate(deflater.deflate(new Uint8Array(100_000)), 1 << 20);
    const small = inflater.inflate(deflater.deflate(ascii('small')), 1 << 20);
    expect(big.ok && big.chunks.at(-1)!.buffer.byteLength).toBeGreaterThan(1024);
    expect(small.ok && small.chunks[0]!.buffer.byteLength).toBe(1024);
    deflater.close();
    inflater.close();
  });

  it('inflating pieces split at any byte boundary equals inflating the whole', () => {
    const deflater = zlibDeflateCodec.createDeflater({ windowBits: 15 });
    const message = ascii('permessage-deflate, '.repeat(20) + 'the end');
    const payload = deflater.deflate(message).subarray(0, -4);
    for (let cut = 0; cut <= payload.length; cut++) {
      const inflater = zlibDeflateCodec.createInflater({ windowBits: 15 });
      const first = joined(inflater.inflate(payload.subarray(0, cut), 1 << 20));
      const rest = inflateMessage(inflater, payload.subarray(cut));
      expect(concat([first, rest])).toEqual(message);
      inflater.close();
    }
    deflater.close();
  });
});

describe('zlib inflater against a zip bomb', () => {
  it('stops 64 MiB of zeros at a 1 MiB limit without producing the rest', () => {
    const deflater = zlibDeflateCodec.createDeflater({ windowBits: 15, level: 9 });
    const zeros = new Uint8Array(1 << 20);
    const bomb = concat(Array.from({ length: 64 }, () => deflater.deflate(zeros)));
    deflater.close();
    expect(bomb.length).toBeLessThan(128 * 1024);

    const inflater = zlibDeflateCodec.createInflater({ windowBits: 15 });
    const before = process.memoryUsage();
    const started = performance.now();
    const result = inflater.inflate(bomb, 1 << 20);
    const elapsed = performance.now() - started;
    const after = process.memoryUsage();
    expect(result).toMatchObject({ ok: false, reason: 'too-big' });
    // Inflating all of it takes ~40 ms here and 64 MiB; stopping takes ~0.5 ms.
    expect(elapsed).toBeLessThan(50);
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(8 << 20);
    expect(after.rss - before.rss).toBeLessThan(32 << 20);
    inflater.close();
  });

  it('stops a 1 GiB bomb built from one repeated block just as fast', () => {
    // Deflating zeros in a warm context gives the same bytes every time, each
    // inflating to 1 MiB: 1024 copies are a 1 GiB bomb of ~1 MiB.
    const deflater = zlibDeflateCodec.createDeflater({ windowBits: 15, level: 9 });
    const zeros = new Uint8Array(1 << 20);
    const first = deflater.deflate(zeros);
    const block = deflater.deflate(zeros);
    expect(deflater.deflate(zeros)).toEqual(block);
    deflater.close();
    const bomb = concat([first, ...Array.from({ length: 1023 }, () => block)]);

    const inflater = zlibDeflateCodec.createInflater({ windowBits: 15 });
    const before = process.memoryUsage().arrayBuffers;
    const started = performance.now();
    expect(inflater.inflate(bomb, 1 << 20)).toMatchObject({ ok: false, reason: 'too-big' });
    expect(performance.now() - started).toBeLessThan(50); // all of it: ~650 ms
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 << 20);
    inflater.close();
  });

  it('allows exactly the limit', () => {
    const deflater = zlibDeflateCodec.createDeflater({ windowBits: 15 });
    const inflater = zlibDeflateCodec.createInflater({ windowBits: 15 });
    const payload = deflater.deflate(new Uint8Array(5000));
    const result = inflater.inflate(payload, 5000);
    expect(result).toMatchObject({ ok: true, length: 5000 });
    const other = zlibDeflateCodec.createInflater({ windowBits: 15 });
    expect(other.inflate(payload, 4999)).toMatchObject({ ok: false, reason: 'too-big' });
    for (const closable of [deflater, inflater, other]) closable.close();
  });
});
