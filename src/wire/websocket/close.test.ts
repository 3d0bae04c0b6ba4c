import { describe, expect, it } from 'vitest';
import { fromHex } from '../../bytes/index.js';
import { CloseCode, emitClosePayload, isValidWireCloseCode, parseClosePayload } from './close.js';

describe('close codes', () => {
  it('accepts exactly the codes RFC 6455 §7.4 and IANA allow on the wire', () => {
    const ok = [
      1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000,
      4999,
    ];
    const bad = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535, 1000.5, NaN];
    for (const code of ok) expect(isValidWireCloseCode(code), String(code)).toBe(true);
    for (const code of bad) expect(isValidWireCloseCode(code), String(code)).toBe(false);
  });
});

describe('parseClosePayload', () => {
  it('reads an empty body as 1005', () => {
    const r = parseClosePayload(new Uint8Array(0));
    expect(r).toEqual({
      ok: true,
      value: { code: CloseCode.NoStatusReceived, reason: '', reasonBytes: new Uint8Array(0) },
    });
  });

  it('reads a code and a UTF-8 reason', () => {
    const r = parseClosePayload(fromHex('03 e8 ce ba e1 bd b9 cf 83 ce bc ce b5'));
    expect(r.ok && r.value.code).toBe(1000);
    expect(r.ok && r.value.reason).toBe('\u03ba\u1f79\u03c3\u03bc\u03b5');
  });

  it('fails a 1-byte body, an invalid code and bad UTF-8 with the right close codes', () => {
    const cases: [string, string, number][] = [
      ['03', 'close-payload-too-short', 1002],
      ['03 ed', 'close-code-invalid', 1002], // 1005
      ['03 e7', 'close-code-invalid', 1002], // 999
      ['13 88', 'close-code-invalid', 1002], // 5000
      ['03 e8 ed a0 80', 'close-reason-invalid-utf8', 1007],
      ['03 e8 ce', 'close-reason-invalid-utf8', 1007],
    ];
    for (const [hex, code, closeCode] of cases) {
      const r = parseClosePayload(fromHex(hex));
      expect(r.ok, hex).toBe(false);
      if (!r.ok) expect([r.failure.code, r.failure.closeCode]).toEqual([code, closeCode]);
    }
    const long = new Uint8Array(126);
    long[0] = 0x03;
    long[1] = 0xe8;
    const r = parseClosePayload(long.fill(0x61, 2));
    expect(!r.ok && r.failure.code).toBe('control-frame-too-long');
  });
});

describe('emitClosePayload', () => {
  it('writes nothing, a code, or a code and reason', () => {
    expect(emitClosePayload()).toEqual(new Uint8Array(0));
    expect(emitClosePayload(1001)).toEqual(fromHex('03 e9'));
    expect(emitClosePayload(4000, 'bye')).toEqual(fromHex('0f a0 62 79 65'));
    expect(emitClosePayload(1000, fromHex('ce ba'))).toEqual(fromHex('03 e8 ce ba'));
  });

  it('round-trips through parseClosePayload', () => {
    const r = parseClosePayload(emitClosePayload(3000, 'é'.repeat(61)));
    expect(r.ok && r.value.reason).toBe('é'.repeat(61));
  });

  it('refuses misuse', () => {
    expect(() => emitClosePayload(1005)).toThrow(RangeError);
    expect(() => emitClosePayload(1000, 'x'.repeat(124))).toThrow(RangeError);
    expect(() => emitClosePayload(undefined, 'why')).toThrow(TypeError);
    expect(() => emitClosePayload(1000, fromHex('ff'))).toThrow(TypeError);
  });
});
