import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concat, equalBytes, fromHex, toHex } from '../bytes/index.js';
import { createZlibDeflateCodec, zlibDeflateCodec } from '../node/websocket/zlib-codec.js';
import { Opcode, encodeFrame } from '../wire/index.js';
import type {
  DeflateCodec,
  Deflater,
  DeflaterOptions,
  Inflater,
  InflaterOptions,
} from './deflate-codec.js';
import type { PerMessageDeflateParams } from './extensions.js';
import {
  PerMessageDeflateSession,
  type PerMessageDeflateRole,
  type PerMessageInflateResult,
} from './permessage-deflate.js';

const ascii = (text: string) => new TextEncoder().encode(text);

const DEFAULT_PARAMS: PerMessageDeflateParams = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

function session(
  role: PerMessageDeflateRole,
  params: Partial<PerMessageDeflateParams> = {},
  codec: DeflateCodec = zlibDeflateCodec,
  maxMessageSize?: number,
): PerMessageDeflateSession {
  return new PerMessageDeflateSession({
    params: { ...DEFAULT_PARAMS, ...params },
    role,
    codec,
    ...(maxMessageSize === undefined ? {} : { maxMessageSize }),
  });
}

function bytesOf(result: PerMessageInflateResult): Uint8Array {
  if (!result.ok)
    throw new Error(`inflate failed: ${result.failure.code}: ${result.failure.message}`);
  return concat(result.chunks, result.length);
}

/** Feeds `pieces` as one message; copies each result, since chunks last until the next call. */
function receive(receiver: PerMessageDeflateSession, ...pieces: Uint8Array[]): Uint8Array {
  const parts = pieces.map((piece, i) => bytesOf(receiver.inflate(piece, i === pieces.length - 1)));
  return concat(parts);
}

/** A codec that records what the session asks of it. */
function countingCodec(inner: DeflateCodec = zlibDeflateCodec) {
  const log = {
    inflaters: [] as InflaterOptions[],
    deflaters: [] as DeflaterOptions[],
    resets: 0,
    closes: 0,
    live: 0,
  };
  const track = <T extends Inflater | Deflater>(object: T): T => {
    log.live++;
    const reset = object.reset.bind(object);
    const close = object.close.bind(object);
    object.reset = () => {
      log.resets++;
      reset();
    };
    object.close = () => {
      log.closes++;
      log.live--;
      close();
    };
    return object;
  };
  const codec: DeflateCodec = {
    createInflater(options) {
      log.inflaters.push(options);
      return track(inner.createInflater(options));
    },
    createDeflater(options) {
      log.deflaters.push(options);
      return track(inner.createDeflater(options));
    },
  };
  return { codec, log };
}

describe('PerMessageDeflateSession: RFC 7692 §7.2.3 examples', () => {
  it('§7.2.3.1: "Hello" is c1 07 f2 48 cd c9 c9 07 00 on the wire', () => {
    const server = session('server');
    const payload = server.deflate(ascii('Hello'));
    expect(toHex(payload)).toBe('f248cdc9c90700');
    const frame = encodeFrame({ fin: true, rsv1: true, opcode: Opcode.Text, payload });
    expect(toHex(frame)).toBe('c107f248cdc9c90700');
    expect(receive(session('client'), payload)).toEqual(ascii('Hello'));
    server.close();
  });

  it('§7.2.3.2: the second "Hello" shares the window (f2 00 11 00 00)', () => {
    const server = session('server');
    const client = session('client');
    const first = server.deflate(ascii('Hello'));
    const second = server.deflate(ascii('Hello'));
    expect(toHex(second)).toBe('f200110000');
    expect(receive(client, first)).toEqual(ascii('Hello'));
    expect(receive(client, second)).toEqual(ascii('Hello'));
    server.close();
    client.close();
  });

  it('§7.2.3.2 without context takeover: every "Hello" is f2 48 cd c9 c9 07 00', () => {
    const server = session('server', { serverNoContextTakeover: true });
    const client = session('client', { serverNoContextTakeover: true });
    for (let i = 0; i < 3; i++) {
      const payload = server.deflate(ascii('Hello'));
      expect(toHex(payload)).toBe('f248cdc9c90700');
      expect(receive(client, payload)).toEqual(ascii('Hello'));
    }
    // The client's own direction keeps its context: that parameter is the server's.
    const client2 = session('client', { serverNoContextTakeover: true });
    client2.deflate(ascii('Hello'));
    expect(toHex(client2.deflate(ascii('Hello')))).toBe('f200110000');
    for (const s of [server, client, client2]) s.close();
  });

  it('§7.2.3.3-5: a stored block, a final block, two blocks in one message', () => {
    const client = session('client');
    expect(receive(client, fromHex('0005 00faff 48656c6c6f 00'.replace(/ /g, '')))).toEqual(
      ascii('Hello'),
    );
    expect(receive(client, fromHex('f348cdc9c9070000'))).toEqual(ascii('Hello'));
    expect(receive(client, fromHex('f24805000000ffffcac9c90700'))).toEqual(ascii('Hello'));
    expect(receive(client, fromHex('f248cdc9c90700'))).toEqual(ascii('Hello'));
    client.close();
  });

  it('§7.2.3.6: an empty message is the single byte 00, and keeps the stream in step', () => {
    const server = session('server');
    const client = session('client');
    expect(toHex(server.deflate(new Uint8Array(0)))).toBe('00');
    expect(receive(client, server.deflate(new Uint8Array(0)))).toEqual(new Uint8Array(0));
    const hello = server.deflate(ascii('Hello'));
    expect(receive(client, server.deflate(new Uint8Array(0)))).toEqual(new Uint8Array(0));
    const again = server.deflate(ascii('Hello'));
    expect(toHex(again)).toBe('f200110000');
    expect(receive(client, hello)).toEqual(ascii('Hello'));
    expect(receive(client, fromHex('00'))).toEqual(new Uint8Array(0));
    expect(receive(client, again)).toEqual(ascii('Hello'));
    // A compressed message with no payload at all (not even 00) is read as empty.
    expect(receive(client, new Uint8Array(0))).toEqual(new Uint8Array(0));
    expect(receive(client, server.deflate(ascii('Hello')))).toEqual(ascii('Hello'));
    server.close();
    client.close();
  });
});

describe('PerMessageDeflateSession: inflating pieces', () => {
  it('gives the same message however the payload is split', () => {
    const server = session('server');
    const messages = [ascii('permessage-deflate '.repeat(30)), ascii('again '.repeat(40))];
    const payloads = messages.map((m) => server.deflate(m));
    for (let cut = 0; cut <= (payloads[1] as Uint8Array).length; cut++) {
      const client = session('client');
      expect(receive(client, payloads[0] as Uint8Array)).toEqual(messages[0]);
      const p = payloads[1] as Uint8Array;
      expect(receive(client, p.subarray(0, cut), p.subarray(cut))).toEqual(messages[1]);
      client.close();
    }
    // Every byte its own piece, with empty pieces in between.
    const client = session('client');
    const one = payloads[0] as Uint8Array;
    const pieces = Array.from(one, (_, i) => [one.subarray(i, i + 1), new Uint8Array(0)]).flat();
    expect(receive(client, ...pieces)).toEqual(messages[0]);
    client.close();
    server.close();
  });

  it('fails with message-too-big (1009) once the pieces together pass maxMessageSize', () => {
    const sender = session('client');
    const payload = sender.deflate(new Uint8Array(3000));
    const { codec, log } = countingCodec();
    const exact = session('server', {}, codec, 3000);
    expect(receive(exact, payload.subarray(0, 5), payload.subarray(5))).toHaveLength(3000);

    const receiver = session('server', {}, codec, 2999);
    const pieces = [payload.subarray(0, 3), payload.subarray(3, 6), payload.subarray(6)];
    let result: PerMessageInflateResult = { ok: true, chunks: [], length: 0 };
    for (const [i, piece] of pieces.entries()) {
      result = receiver.inflate(piece, i === pieces.length - 1);
      if (!result.ok) break;
    }
    expect(result).toEqual({
      ok: false,
      failure: {
        code: 'message-too-big',
        closeCode: 1009,
        message: 'The decompressed message is over the limit of 2999 bytes',
      },
    });
    // The failure sticks, and the inflater is freed at once.
    expect(receiver.inflate(payload, true)).toBe(result);
    expect(log.live).toBe(1); // only `exact`'s inflater
    for (const s of [sender, exact, receiver]) s.close();
    expect(log.live).toBe(0);
  });

  it('fails with inflate-failed (1007, as ws) on data that is not DEFLATE', () => {
    const client = session('client');
    const result = client.inflate(fromHex('ffffffff'), true);
    expect(result).toMatchObject({
      ok: false,
      failure: { code: 'inflate-failed', closeCode: 1007 },
    });
    expect(!result.ok && result.failure.message).toMatch(/^Cannot decompress the message: /);
    client.close();
    expect(() => client.inflate(fromHex('00'), true)).toThrow(
      expect.objectContaining({ code: 'ERR_WS_DEFLATE_CLOSED' }) as Error,
    );
  });

  it('never throws on arbitrary pieces', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.uint8Array({ maxLength: 40 }), fc.boolean()), { maxLength: 8 }),
        fc.integer({ min: 8, max: 15 }),
        fc.integer({ min: 0, max: 2000 }),
        (pieces, windowBits, maxMessageSize) => {
          const client = session(
            'client',
            { serverMaxWindowBits: windowBits },
            zlibDeflateCodec,
            maxMessageSize,
          );
          for (const [piece, last] of pieces) {
            const result = client.inflate(piece, last);
            if (result.ok) expect(result.length).toBeLessThanOrEqual(maxMessageSize);
          }
          client.close();
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('PerMessageDeflateSession: round trips', () => {
  const message = fc.oneof(
    fc.uint8Array({ maxLength: 2000 }),
    fc.string({ maxLength: 500 }).map((s) => ascii(s.repeat(3))),
    fc.constantFrom(new Uint8Array(0), new Uint8Array(70_000)),
  );

  it('inflate(deflate(m)) is m over a sequence of messages, for every window and takeover setting', () => {
    fc.assert(
      fc.property(
        fc.record({
          serverNoContextTakeover: fc.boolean(),
          clientNoContextTakeover: fc.boolean(),
          serverMaxWindowBits: fc.integer({ min: 8, max: 15 }),
          clientMaxWindowBits: fc.integer({ min: 8, max: 15 }),
        }),
        fc.array(fc.tuple(message, fc.boolean(), fc.nat()), { minLength: 1, maxLength: 6 }),
        (params, exchanges) => {
          const server = session('server', params);
          const client = session('client', params);
          for (const [m, fromServer, cutSeed] of exchanges) {
            const [sender, receiver] = fromServer ? [server, client] : [client, server];
            const payload = sender.deflate(m);
            const cut = payload.length === 0 ? 0 : cutSeed % (payload.length + 1);
            const got = receive(receiver, payload.subarray(0, cut), payload.subarray(cut));
            expect(equalBytes(got, m)).toBe(true);
          }
          server.close();
          client.close();
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('PerMessageDeflateSession: compression objects', () => {
  it('creates nothing until the first compressed message in each direction', () => {
    const { codec, log } = countingCodec();
    const server = session('server', {}, codec);
    expect(server.shouldCompress(5000)).toBe(true);
    expect(server.shouldCompress(1023)).toBe(false);
    expect(server.deflate(new Uint8Array(0))).toEqual(Uint8Array.of(0));
    expect(receive(server, new Uint8Array(0))).toHaveLength(0);
    expect(server.inflate(new Uint8Array(0), false)).toMatchObject({ ok: true, length: 0 });
    expect(log.inflaters.length + log.deflaters.length).toBe(0);

    server.deflate(ascii('Hello'));
    expect(log.deflaters).toHaveLength(1);
    expect(log.inflaters).toHaveLength(0);
    receive(server, fromHex('f248cdc9c90700'));
    receive(server, fromHex('f200110000'));
    server.deflate(ascii('Hello'));
    expect(log).toMatchObject({ resets: 0, closes: 0, live: 2 });
    expect(log.inflaters).toHaveLength(1);
    server.close();
    server.close();
    expect(log).toMatchObject({ closes: 2, live: 0 });
    expect(() => server.deflate(ascii('x'))).toThrow(
      expect.objectContaining({ code: 'ERR_WS_DEFLATE_CLOSED' }) as Error,
    );
  });

  it('uses the peer window bits to inflate and its own to deflate, raising 8 to 9', () => {
    const params = { serverMaxWindowBits: 8, clientMaxWindowBits: 12 };
    for (const [role, inflateBits, deflateBits] of [
      ['server', 12, 9],
      ['client', 8, 12],
    ] as const) {
      const { codec, log } = countingCodec();
      const s = session(role, params, codec);
      s.deflate(ascii('Hello'));
      s.inflate(fromHex('f248cdc9c90700'), true);
      expect(log.inflaters).toEqual([{ windowBits: inflateBits }]);
      expect(log.deflaters).toEqual([{ windowBits: deflateBits }]);
      s.close();
    }
  });

  it('passes level and memLevel to the deflater', () => {
    const { codec, log } = countingCodec();
    const s = new PerMessageDeflateSession({
      params: DEFAULT_PARAMS,
      role: 'client',
      codec,
      level: 1,
      memLevel: 4,
    });
    s.deflate(ascii('Hello'));
    expect(log.deflaters).toEqual([{ windowBits: 15, level: 1, memLevel: 4 }]);
    s.close();
  });

  it('frees after each message the objects whose context does not carry over', () => {
    for (const role of ['server', 'client'] as const) {
      const { codec, log } = countingCodec();
      // server_no_context_takeover: every message the server sends starts afresh.
      const s = session(role, { serverNoContextTakeover: true }, codec);
      const peer = session(role === 'server' ? 'client' : 'server', {
        serverNoContextTakeover: true,
      });
      for (let i = 0; i < 3; i++) {
        expect(receive(s, peer.deflate(ascii(`message ${i}`)))).toEqual(ascii(`message ${i}`));
        expect(receive(peer, s.deflate(ascii(`reply ${i}`)))).toEqual(ascii(`reply ${i}`));
      }
      // The direction the server compresses is freed after every message; the other lives on.
      expect(log.live).toBe(1);
      expect(log.resets).toBe(0);
      const fresh = role === 'server' ? log.deflaters : log.inflaters;
      const kept = role === 'server' ? log.inflaters : log.deflaters;
      expect(fresh).toHaveLength(3);
      expect(kept).toHaveLength(1);
      s.close();
      peer.close();
      expect(log.live).toBe(0);
    }
  });

  it('holds an inflater only while a message is arriving when the peer resets', () => {
    const { codec, log } = countingCodec();
    const server = session('server', { clientNoContextTakeover: true }, codec);
    const payload = session('client', { clientNoContextTakeover: true }).deflate(
      ascii('Hello '.repeat(50)),
    );
    server.inflate(payload.subarray(0, 10), false);
    expect(log.live).toBe(1);
    server.inflate(payload.subarray(10), true);
    expect(log.live).toBe(0);
    server.close();
  });

  it('works with a codec of tiny output slabs (many chunks per message)', () => {
    const codec = createZlibDeflateCodec({ outputChunkSize: 256 });
    const server = session('server', {}, codec);
    const client = session('client', {}, codec);
    const big = Uint8Array.from({ length: 50_000 }, (_, i) => (i * i) & 0xff);
    const result = client.inflate(server.deflate(big), true);
    expect(result.ok && result.chunks.length).toBeGreaterThan(1);
    expect(equalBytes(bytesOf(result), big)).toBe(true);
    server.close();
    client.close();
  });

  it('checks its parameters', () => {
    expect(() => session('server', { serverMaxWindowBits: 7 })).toThrow(RangeError);
    expect(() => session('server', { clientMaxWindowBits: 16 })).toThrow(RangeError);
    expect(() => session('server', {}, zlibDeflateCodec, -1)).toThrow(RangeError);
  });
});
