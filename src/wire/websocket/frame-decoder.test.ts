import { describe, expect, it } from 'vitest';
import { fromHex, concat } from '../../bytes/index.js';
import { FrameDecoder, type FrameEvent } from './frame-decoder.js';
import { encodeFrame, frameHeaderLength } from './frame-emit.js';
import type { FrameHeader } from './frame-header.js';
import type { FrameLimits } from './frame-limits.js';
import { Opcode, ReservedBit } from './opcode.js';

interface Frame {
  header: FrameHeader;
  payload: Uint8Array;
}

/** Decodes `chunks` to whole frames (payload pieces joined), plus any failure. */
function decodeAll(chunks: Uint8Array[], limits: FrameLimits = {}) {
  const decoder = new FrameDecoder(limits);
  const frames: Frame[] = [];
  const events: FrameEvent[] = [];
  let header: FrameHeader | undefined;
  let pieces: Uint8Array[] = [];
  let failure;
  for (const chunk of chunks) {
    decoder.push(chunk);
    for (let e = decoder.next(); e !== undefined; e = decoder.next()) {
      events.push(e);
      if (e.type === 'header') header = e.header;
      else if (e.type === 'payload') {
        pieces.push(e.data.slice());
        if (e.last) {
          frames.push({ header: header!, payload: concat(pieces) });
          pieces = [];
        }
      } else failure = e.failure;
    }
  }
  return { frames, events, failure, decoder };
}

const text = (s: string) => new TextEncoder().encode(s);

describe('RFC 6455 §5.7 examples', () => {
  it('a single-frame unmasked text message', () => {
    const { frames, decoder } = decodeAll([fromHex('81 05 48 65 6c 6c 6f')]);
    expect(frames).toEqual([
      {
        header: {
          fin: true,
          rsv1: false,
          rsv2: false,
          rsv3: false,
          opcode: 1,
          payloadLength: 5,
          maskKey: undefined,
        },
        payload: text('Hello'),
      },
    ]);
    expect(decoder.idle).toBe(true);
    expect(encodeFrame({ opcode: Opcode.Text, payload: text('Hello') })).toEqual(
      fromHex('81 05 48 65 6c 6c 6f'),
    );
  });

  it('a single-frame masked text message', () => {
    const wire = fromHex('81 85 37 fa 21 3d 7f 9f 4d 51 58');
    const { frames } = decodeAll([wire.slice()], { expectMasked: true });
    expect(frames[0]!.header.maskKey).toBe(0x37fa213d);
    expect(frames[0]!.payload).toEqual(text('Hello'));
    expect(
      encodeFrame({ opcode: Opcode.Text, payload: text('Hello'), maskKey: 0x37fa213d }),
    ).toEqual(wire);
  });

  it('a fragmented unmasked text message', () => {
    const { frames, decoder } = decodeAll([fromHex('01 03 48 65 6c'), fromHex('80 02 6c 6f')]);
    expect(frames.map((f) => [f.header.fin, f.header.opcode])).toEqual([
      [false, 1],
      [true, 0],
    ]);
    expect(concat(frames.map((f) => f.payload))).toEqual(text('Hello'));
    expect(decoder.inMessage).toBe(false);
  });

  it('unmasked ping and masked pong', () => {
    const { frames } = decodeAll([
      fromHex('89 05 48 65 6c 6c 6f 8a 85 37 fa 21 3d 7f 9f 4d 51 58'),
    ]);
    expect(frames.map((f) => [f.header.opcode, new TextDecoder().decode(f.payload)])).toEqual([
      [Opcode.Ping, 'Hello'],
      [Opcode.Pong, 'Hello'],
    ]);
  });

  it('256 bytes binary in a single unmasked frame', () => {
    const payload = new Uint8Array(256).map((_, i) => i);
    const wire = encodeFrame({ opcode: Opcode.Binary, payload });
    expect(wire.subarray(0, 4)).toEqual(fromHex('82 7e 01 00'));
    const { frames } = decodeAll([wire]);
    expect(frames[0]!.payload).toEqual(payload);
  });

  it('64 KiB binary in a single unmasked frame', () => {
    const payload = new Uint8Array(65536).map((_, i) => i * 7);
    const wire = encodeFrame({ opcode: Opcode.Binary, payload });
    expect(wire.subarray(0, 10)).toEqual(fromHex('82 7f 00 00 00 00 00 01 00 00'));
    const { frames } = decodeAll([wire]);
    expect(frames[0]!.header.payloadLength).toBe(65536);
    expect(frames[0]!.payload).toEqual(payload);
  });
});

describe('length forms', () => {
  it('uses the minimal form at each boundary', () => {
    for (const [length, form] of [
      [0, 2],
      [125, 2],
      [126, 4],
      [65535, 4],
      [65536, 10],
    ] as const) {
      expect(frameHeaderLength(length, false)).toBe(form);
      expect(frameHeaderLength(length, true)).toBe(form + 4);
    }
  });

  it('accepts non-minimal lengths on receive', () => {
    const { frames } = decodeAll([
      fromHex('82 7e 00 01 aa'),
      fromHex('82 7f 00 00 00 00 00 00 00 01 bb'),
    ]);
    expect(frames.map((f) => f.payload[0])).toEqual([0xaa, 0xbb]);
  });

  it('fails a 64-bit length with the top bit set (1002) and one over 2^53-1 (1009) before any payload', () => {
    const top = decodeAll([fromHex('82 7f 80 00 00 00 00 00 00 00')], {
      maxPayloadLength: Number.MAX_SAFE_INTEGER,
    });
    expect([top.failure?.code, top.failure?.closeCode]).toEqual(['frame-length-invalid', 1002]);
    const huge = decodeAll([fromHex('82 7f 00 20 00 00 00 00 00 00')], {
      maxPayloadLength: Number.MAX_SAFE_INTEGER,
    });
    expect([huge.failure?.code, huge.failure?.closeCode]).toEqual(['frame-too-big', 1009]);
    const max = decodeAll([fromHex('82 7f 00 1f ff ff ff ff ff ff')], {
      maxPayloadLength: Number.MAX_SAFE_INTEGER,
    });
    expect(max.failure).toBeUndefined();
    expect(max.events[0]).toMatchObject({
      type: 'header',
      header: { payloadLength: Number.MAX_SAFE_INTEGER },
    });
  });

  it('enforces the caller limit inclusively, even split before the mask', () => {
    const at = decodeAll([fromHex('82 7e 01 00')], { maxPayloadLength: 256 });
    expect(at.failure).toBeUndefined();
    const over = decodeAll([fromHex('82 7e'), fromHex('01 01')], { maxPayloadLength: 256 });
    expect([over.failure?.code, over.failure?.closeCode]).toEqual(['frame-too-big', 1009]);
    const def = decodeAll([fromHex('82 7f 00 00 00 00 01 00 00 01')]);
    expect(def.failure?.code).toBe('frame-too-big');
  });
});

describe('violations', () => {
  const cases: [string, string, string, FrameLimits?][] = [
    ['fragmented ping', '09 00', 'control-frame-fragmented'],
    ['long ping', '89 7e 00 7e', 'control-frame-too-long'],
    ['RSV1 without extension', 'c1 00', 'reserved-bits'],
    ['RSV2', 'a2 00', 'reserved-bits'],
    ['RSV1 on a continuation', '01 00 c0 00', 'reserved-bits', { reservedBits: ReservedBit.Rsv1 }],
    ['RSV1 on a ping', 'c9 00', 'reserved-bits', { reservedBits: ReservedBit.Rsv1 }],
    ['opcode 3', '83 00', 'unknown-opcode'],
    ['opcode 11', '8b 00', 'unknown-opcode'],
    ['continuation first', '80 00', 'unexpected-continuation'],
    ['new message mid-message', '01 00 81 00', 'expected-continuation'],
    ['unmasked from client', '81 00', 'frame-not-masked', { expectMasked: true }],
    ['masked from server', '81 80 00 00 00 00', 'frame-masked', { expectMasked: false }],
  ];
  for (const [name, hex, code, limits] of cases) {
    it(`${name} → ${code} (1002)`, () => {
      const { failure, decoder } = decodeAll([fromHex(hex)], limits);
      expect([failure?.code, failure?.closeCode]).toEqual([code, 1002]);
      expect(decoder.failure).toBe(failure);
      expect(decoder.next()).toBeUndefined();
      decoder.push(fromHex('81 00'));
      expect(decoder.next()).toBeUndefined();
    });
  }

  it('fails on the first two bytes without waiting for the rest of the header', () => {
    const { failure } = decodeAll([fromHex('89 fe')], { expectMasked: true });
    expect(failure?.code).toBe('control-frame-too-long');
  });

  it('allows negotiated RSV1 on the first data frame, and pings inside a message', () => {
    const { frames, failure } = decodeAll([fromHex('41 01 61 89 00 80 01 62')], {
      reservedBits: ReservedBit.Rsv1,
    });
    expect(failure).toBeUndefined();
    expect(frames.map((f) => [f.header.opcode, f.header.rsv1])).toEqual([
      [1, true],
      [9, false],
      [0, false],
    ]);
  });

  it('keeps unknown opcodes as numbers when allowed', () => {
    const { frames } = decodeAll([fromHex('83 01 7a 8b 00')], { allowUnknownOpcodes: true });
    expect(frames.map((f) => f.header.opcode)).toEqual([3, 11]);
  });

  it('reports the stream offset of the offending frame', () => {
    const { failure } = decodeAll([fromHex('81 01 61 82'), fromHex('00 c1 00')]);
    expect(failure?.offset).toBe(5);
  });
});

describe('incremental decoding', () => {
  it('gives payload as views into the pushed chunk, unmasked in place', () => {
    const chunk = fromHex('82 85 01 02 03 04 00 00 00 00 00');
    const decoder = new FrameDecoder();
    decoder.push(chunk);
    expect(decoder.next()?.type).toBe('header');
    const e = decoder.next();
    expect(e?.type === 'payload' && e.data.buffer).toBe(chunk.buffer);
    expect(e?.type === 'payload' && Array.from(e.data)).toEqual([1, 2, 3, 4, 1]);
    expect(chunk.subarray(6)).toEqual(fromHex('01 02 03 04 01'));
  });

  it('unmasks into a caller buffer, piece by piece, keeping the chunk intact', () => {
    const wire = encodeFrame({
      opcode: Opcode.Binary,
      payload: text('abcdefghij'),
      maskKey: 0xdeadbeef,
    });
    const original = wire.slice();
    const decoder = new FrameDecoder();
    decoder.push(wire);
    decoder.next();
    const into = new Uint8Array(4);
    const got: string[] = [];
    for (let e = decoder.next(into); e !== undefined; e = decoder.next(into)) {
      if (e.type === 'payload') got.push(new TextDecoder().decode(e.data));
    }
    expect(got).toEqual(['abcd', 'efgh', 'ij']);
    expect(wire).toEqual(original);
  });

  it('delivers a control payload whole even when split byte by byte', () => {
    const wire = encodeFrame({
      opcode: Opcode.Close,
      payload: fromHex('03 e8 62 79 65'),
      maskKey: 0x01020304,
    });
    const chunks = Array.from(wire, (b) => new Uint8Array([b]));
    const { events } = decodeAll(chunks);
    expect(events.filter((e) => e.type === 'payload')).toEqual([
      { type: 'payload', data: fromHex('03 e8 62 79 65'), last: true },
    ]);
  });

  it('emits an empty last payload for an empty frame', () => {
    const { events } = decodeAll([fromHex('81 00 8a 00')]);
    expect(events.map((e) => e.type)).toEqual(['header', 'payload', 'header', 'payload']);
  });

  it('refuses a push before the previous chunk is drained', () => {
    const decoder = new FrameDecoder();
    decoder.push(fromHex('81 01 61'));
    expect(() => decoder.push(fromHex('81 00'))).toThrow(
      expect.objectContaining({ code: 'ERR_WS_DECODER_NOT_DRAINED' }),
    );
  });

  it('is not idle in the middle of a header', () => {
    const decoder = new FrameDecoder();
    decoder.push(fromHex('81'));
    expect(decoder.next()).toBeUndefined();
    expect(decoder.idle).toBe(false);
  });
});
