import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeBase64, fromBase64, toBase64 } from './base64.js';

const enc = new TextEncoder();

describe('base64', () => {
  it('encodes the RFC 4648 §10 vectors', () => {
    const vectors: [string, string][] = [
      ['', ''],
      ['f', 'Zg=='],
      ['fo', 'Zm8='],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg=='],
      ['fooba', 'Zm9vYmE='],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [plain, coded] of vectors) {
      expect(toBase64(enc.encode(plain))).toBe(coded);
      expect(fromBase64(coded)).toEqual(enc.encode(plain));
    }
  });

  it('uses + and / and agrees with Buffer on random bytes', () => {
    expect(toBase64(new Uint8Array([0xfb, 0xff, 0xbf]))).toBe('+/+/');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const coded = toBase64(bytes);
        expect(coded).toBe(Buffer.from(bytes).toString('base64'));
        expect(decodeBase64(coded)).toEqual(bytes);
      }),
    );
  });

  it('rejects malformed input', () => {
    for (const bad of [
      'Zg',
      'Zg=',
      'Z===',
      '=Zg=',
      'Zm9v Yg==',
      'Zm9v-_==',
      'Zg==Zg==',
      'Zé==',
      'Z=g=',
    ]) {
      expect(decodeBase64(bad), bad).toBeUndefined();
    }
    expect(() => fromBase64('abc')).toThrow(
      expect.objectContaining({ code: 'ERR_BASE64_INVALID' }),
    );
  });

  it('ignores stray bits before the padding, as RFC 4648 §3.5 allows', () => {
    expect(decodeBase64('Zh==')).toEqual(enc.encode('f'));
  });
});
