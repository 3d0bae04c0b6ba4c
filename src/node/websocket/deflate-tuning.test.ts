import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from './index.js';
import { checkDeflateTuning, deflateCodecFor } from './deflate-tuning.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

/** The size of the slab an inflater of `codec` writes a small message into. */
function inflateSlabSize(codec: ReturnType<typeof deflateCodecFor>): number {
  const inflater = codec.createInflater({ windowBits: 15 });
  const compressed = deflateRawSync(Buffer.from('hello, slab'), { finishFlush: 2 });
  const result = inflater.inflate(compressed, 1 << 20);
  inflater.close();
  if (!result.ok) throw new Error(result.message);
  expect(Buffer.concat(result.chunks).toString()).toBe('hello, slab');
  return (result.chunks[0] as Uint8Array).buffer.byteLength;
}

describe('perMessageDeflate.zlibInflateOptions (ws review, item 3)', () => {
  it('honours chunkSize: inflaters write into slabs of that size', () => {
    expect(inflateSlabSize(deflateCodecFor(undefined))).toBe(16 * 1024);
    expect(inflateSlabSize(deflateCodecFor({ zlibInflateOptions: { chunkSize: 64 * 1024 } }))).toBe(
      64 * 1024,
    );
    expect(
      inflateSlabSize(
        deflateCodecFor({
          zlibInflateOptions: { chunkSize: 4096 },
          zlibDeflateOptions: { level: 1 },
        }),
      ),
    ).toBe(4096);
  });

  it('refuses a chunkSize it cannot honour, and options other than chunkSize and windowBits', () => {
    expect(() => checkDeflateTuning({ zlibInflateOptions: { chunkSize: 100 } }, 'server')).toThrow(
      RangeError,
    );
    expect(() =>
      checkDeflateTuning({ zlibInflateOptions: { chunkSize: 1.5e6 } }, 'server'),
    ).toThrow(RangeError);
    const dictionary = { dictionary: Buffer.from('x') } as unknown as { chunkSize: number };
    expect(() => checkDeflateTuning({ zlibInflateOptions: dictionary }, 'server')).toThrow(
      /zlibInflateOptions\.dictionary is not supported/,
    );
    expect(() =>
      checkDeflateTuning({ zlibInflateOptions: 7 as unknown as { chunkSize: number } }, 'client'),
    ).toThrow(TypeError);
  });

  it('accepts windowBits only when no negotiation could give the peer a larger window', () => {
    expect(() =>
      checkDeflateTuning({ zlibInflateOptions: { windowBits: 15 } }, 'server'),
    ).not.toThrow();
    // A server cannot make a client compress with fewer than 15 bits.
    expect(() => checkDeflateTuning({ zlibInflateOptions: { windowBits: 10 } }, 'server')).toThrow(
      /from 15 to 15/,
    );
    // A client that demands server_max_window_bits=10 may inflate with 10 or more.
    expect(() =>
      checkDeflateTuning(
        { serverMaxWindowBits: 10, zlibInflateOptions: { windowBits: 10 } },
        'client',
      ),
    ).not.toThrow();
    expect(() =>
      checkDeflateTuning(
        { serverMaxWindowBits: 10, zlibInflateOptions: { windowBits: 9 } },
        'client',
      ),
    ).toThrow(RangeError);
    expect(() => checkDeflateTuning({ zlibInflateOptions: { windowBits: 16 } }, 'client')).toThrow(
      RangeError,
    );
  });
});

describe('perMessageDeflate.concurrencyLimit (ws review, item 3)', () => {
  it('takes integers >= 1 and refuses others', () => {
    expect(() => checkDeflateTuning({ concurrencyLimit: 1 }, 'server')).not.toThrow();
    expect(() => checkDeflateTuning({ concurrencyLimit: 10 }, 'client')).not.toThrow();
    for (const bad of [0, -1, 1.5, Number.NaN, Infinity]) {
      expect(() => checkDeflateTuning({ concurrencyLimit: bad }, 'server')).toThrow(RangeError);
    }
    expect(() =>
      checkDeflateTuning({ concurrencyLimit: '2' as unknown as number }, 'server'),
    ).toThrow(TypeError);
  });

  it('is checked when a server or client is made', () => {
    expect(
      () => new WebSocketServer({ noServer: true, perMessageDeflate: { concurrencyLimit: 0 } }),
    ).toThrow(RangeError);
    expect(
      () =>
        new WebSocketServer({
          noServer: true,
          perMessageDeflate: { zlibInflateOptions: { windowBits: 9 } },
        }),
    ).toThrow(RangeError);
    expect(
      () =>
        new WebSocket('ws://127.0.0.1:9/', {
          perMessageDeflate: { zlibInflateOptions: { chunkSize: 10 } },
        }),
    ).toThrow(RangeError);
    const server = new WebSocketServer({
      noServer: true,
      perMessageDeflate: { concurrencyLimit: 10, zlibInflateOptions: { chunkSize: 10 * 1024 } },
    });
    cleanups.push(() => server.close());
    expect(server.clients.size).toBe(0);
  });
});

/** The size of the slab a deflater of `codec` writes a small message into. */
function deflateSlabSize(codec: ReturnType<typeof deflateCodecFor>): number {
  const deflater = codec.createDeflater({ windowBits: 15 });
  const out = deflater.deflate(Buffer.from('hello, deflate slab'));
  deflater.close();
  const inflated = inflateRawSync(Buffer.concat([out, Buffer.from([0, 0, 0xff, 0xff])]), {
    finishFlush: 2,
  });
  expect(inflated.toString()).toBe('hello, deflate slab');
  return out.buffer.byteLength;
}

describe('perMessageDeflate.zlibDeflateOptions.chunkSize (issue 8, was ignored)', () => {
  it('honours chunkSize: deflaters write into slabs of that size', () => {
    expect(deflateSlabSize(deflateCodecFor(undefined))).toBe(16 * 1024);
    expect(deflateSlabSize(deflateCodecFor({ zlibDeflateOptions: { chunkSize: 4096 } }))).toBe(
      4096,
    );
    expect(
      deflateSlabSize(
        deflateCodecFor({ zlibDeflateOptions: { chunkSize: 64 * 1024, level: 1, memLevel: 7 } }),
      ),
    ).toBe(64 * 1024);
  });

  it('refuses deflate options it cannot honour with a clear error', () => {
    expect(() => checkDeflateTuning({ zlibDeflateOptions: { chunkSize: 100 } }, 'server')).toThrow(
      /zlibDeflateOptions\.chunkSize must be an integer from 256 to 1048576: got 100/,
    );
    expect(() => checkDeflateTuning({ zlibDeflateOptions: { level: 10 } }, 'client')).toThrow(
      RangeError,
    );
    expect(() =>
      checkDeflateTuning(
        { zlibDeflateOptions: { strategy: 1 } as unknown as { level?: number } },
        'server',
      ),
    ).toThrow(/zlibDeflateOptions\.strategy is not supported/);
    expect(() =>
      checkDeflateTuning({ zlibDeflateOptions: { chunkSize: 4096, level: 9 } }, 'server'),
    ).not.toThrow();
  });
});

describe("the ws README's perMessageDeflate object", () => {
  it('is accepted as written and a compressed echo goes through', async () => {
    // As the ws README shows it (chunkSize 1024 for the deflater, 10 KiB for the inflater).
    const perMessageDeflate = {
      zlibDeflateOptions: { chunkSize: 1024, memLevel: 7, level: 3 },
      zlibInflateOptions: { chunkSize: 10 * 1024 },
      clientNoContextTakeover: true,
      serverNoContextTakeover: true,
      serverMaxWindowBits: 10,
      concurrencyLimit: 10,
      threshold: 1024,
    };
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate });
    cleanups.push(() => server.close());
    await new Promise((resolve) => server.once('listening', resolve));
    server.on('connection', (ws: WebSocket) =>
      ws.on('message', (data: Buffer, binary: boolean) => ws.send(data, { binary })),
    );
    const { port } = server.address() as { port: number };
    const client = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate });
    cleanups.push(() => client.terminate());
    await new Promise((resolve) => client.once('open', resolve));
    expect(client.extensions).toContain('permessage-deflate');
    const message = 'netrx '.repeat(5000);
    const echoed = new Promise<string>((resolve) =>
      client.once('message', (data: Buffer) => resolve(data.toString())),
    );
    client.send(message);
    expect(await echoed).toBe(message);
  });
});
