import { describe, expect, it } from 'vitest';
import { fromHex } from '../../bytes/index.js';
import { FrameDecoder } from './frame-decoder.js';
import { emitFrameHeader } from './frame-emit.js';
import { parseFrameHeader } from './frame-header.js';
import { Opcode } from './opcode.js';

describe('parseFrameHeader and emitFrameHeader', () => {
  it('parses a complete header, waits for an incomplete one', () => {
    expect(parseFrameHeader(fromHex('82 7e 01'))).toBeUndefined();
    expect(parseFrameHeader(fromHex('82'))).toBeUndefined();
    const r = parseFrameHeader(fromHex('82 fe 01 00 0a 0b 0c 0d ff'));
    expect(r).toEqual({
      ok: true,
      value: {
        header: {
          fin: true,
          rsv1: false,
          rsv2: false,
          rsv3: false,
          opcode: 2,
          payloadLength: 256,
          maskKey: 0x0a0b0c0d,
        },
        headerLength: 8,
      },
    });
    expect(parseFrameHeader(fromHex('89 7e'))).toMatchObject({
      ok: false,
      failure: { code: 'control-frame-too-long' },
    });
  });

  it('emits into a buffer at an offset', () => {
    const buf = new Uint8Array(16);
    expect(
      emitFrameHeader(
        { opcode: Opcode.Binary, payloadLength: 70000, fin: false, rsv1: true },
        buf,
        2,
      ),
    ).toBe(10);
    expect(buf.subarray(2, 12)).toEqual(fromHex('42 7f 00 00 00 00 00 01 11 70'));
  });

  it('throws on misuse', () => {
    const buf = new Uint8Array(16);
    expect(() => emitFrameHeader({ opcode: 16, payloadLength: 0 }, buf)).toThrow(RangeError);
    expect(() => emitFrameHeader({ opcode: Opcode.Ping, payloadLength: 126 }, buf)).toThrow(
      RangeError,
    );
    expect(() =>
      emitFrameHeader({ opcode: Opcode.Ping, payloadLength: 0, fin: false }, buf),
    ).toThrow(RangeError);
    expect(() => emitFrameHeader({ opcode: 1, payloadLength: -1 }, buf)).toThrow(RangeError);
    expect(() => emitFrameHeader({ opcode: 1, payloadLength: 2 ** 53 }, buf)).toThrow(RangeError);
    expect(() => emitFrameHeader({ opcode: 1, payloadLength: 0, maskKey: 2 ** 32 }, buf)).toThrow(
      RangeError,
    );
    expect(() => emitFrameHeader({ opcode: 1, payloadLength: 70000 }, new Uint8Array(4))).toThrow(
      RangeError,
    );
    expect(() => new FrameDecoder({ maxPayloadLength: -1 })).toThrow(RangeError);
  });
});
