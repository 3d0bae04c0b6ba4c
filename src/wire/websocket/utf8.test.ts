import { describe, expect, it } from 'vitest';
import { fromHex } from '../../bytes/index.js';
import { Utf8Validator, isValidUtf8 } from './utf8.js';

const fatal = new TextDecoder('utf-8', { fatal: true });
function decoderSays(bytes: Uint8Array): boolean {
  try {
    fatal.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

// Markus Kuhn's UTF-8 decoder capability and stress test, plus RFC 3629 §7.
const valid: Record<string, string> = {
  ascii: '48 65 6c 6c 6f',
  'kosme (Greek)': 'ce ba e1 bd b9 cf 83 ce bc ce b5',
  'first of each length': '00 c2 80 e0 a0 80 f0 90 80 80',
  'last of each length': '7f df bf ef bf bf f4 8f bf bf',
  'U+D7FF, U+E000, U+FFFD, U+10FFFF': 'ed 9f bf ee 80 80 ef bf bd f4 8f bf bf',
  'non-characters U+FFFE U+FFFF': 'ef bf be ef bf bf',
  'euro sign': 'e2 82 ac',
  BOM: 'ef bb bf 41',
  'hello-ƒ (Autobahn 6.2)': 'ce ba e1 bd b9 cf 83 ce bc ce b5 40 65 64 69 74 65 64',
};
const invalid: Record<string, string> = {
  'lone continuation 80': '80',
  'lone continuation bf': 'bf',
  'overlong / as c0 af': 'c0 af',
  'overlong / as e0 80 af': 'e0 80 af',
  'overlong / as f0 80 80 af': 'f0 80 80 af',
  'overlong NUL c0 80': 'c0 80',
  'overlong max 2-byte c1 bf': 'c1 bf',
  'overlong max 3-byte e0 9f bf': 'e0 9f bf',
  'overlong max 4-byte f0 8f bf bf': 'f0 8f bf bf',
  'surrogate U+D800': 'ed a0 80',
  'surrogate U+DFFF': 'ed bf bf',
  'surrogate pair': 'ed a0 80 ed b0 80',
  'above U+10FFFF': 'f4 90 80 80',
  'f5 lead': 'f5 80 80 80',
  fe: 'fe',
  ff: 'ff',
  '5-byte form': 'f8 88 80 80 80',
  '6-byte form': 'fc 84 80 80 80 80',
  'truncated 2-byte': 'c2',
  'truncated 3-byte': 'e2 82',
  'truncated 4-byte': 'f0 9f 98',
  'truncated then ascii': 'e2 82 41',
  'Autobahn 6.3.1': 'ce ba e1 bd b9 cf 83 ce bc ce b5 ed a0 80 65 64 69 74 65 64',
};

describe('Utf8Validator', () => {
  for (const [name, hex] of Object.entries(valid)) {
    it(`accepts ${name}`, () => {
      const bytes = fromHex(hex);
      expect(isValidUtf8(bytes)).toBe(true);
      expect(decoderSays(bytes)).toBe(true);
    });
  }
  for (const [name, hex] of Object.entries(invalid)) {
    it(`rejects ${name}`, () => {
      const bytes = fromHex(hex);
      expect(isValidUtf8(bytes)).toBe(false);
      expect(decoderSays(bytes)).toBe(false);
    });
  }

  it('agrees however valid text is split, even inside code points', () => {
    const bytes = fromHex(valid['kosme (Greek)']! + (valid['last of each length'] as string));
    for (let a = 0; a <= bytes.length; a++) {
      for (let b = a; b <= bytes.length; b++) {
        const v = new Utf8Validator();
        expect(v.push(bytes.subarray(0, a))).toBe(true);
        expect(v.push(bytes.subarray(a, b))).toBe(true);
        expect(v.push(bytes.subarray(b))).toBe(true);
        expect(v.end()).toBe(true);
      }
    }
  });

  it('reports an unfinished code point without failing', () => {
    const v = new Utf8Validator();
    expect(v.push(fromHex('41 f0 9f'))).toBe(true);
    expect(v.incomplete).toBe(true);
    expect(v.end()).toBe(false);
    expect(v.push(fromHex('98 80'))).toBe(true);
    expect(v.incomplete).toBe(false);
    expect(v.end()).toBe(true);
  });

  it('fails fast at the first bad byte, in the chunk where it appears (Autobahn 6.4)', () => {
    const v = new Utf8Validator();
    expect(v.push(fromHex('ce ba e1 bd b9 cf 83 ce bc ce b5'))).toBe(true);
    // 6.4.1: f4 90 can never be completed; fail at 0x90, not at message end.
    expect(v.push(fromHex('f4'))).toBe(true);
    expect(v.push(fromHex('90 80 80 65 64'))).toBe(false);
    expect(v.errorOffset).toBe(0);
    expect(v.errorIndex).toBe(12);
    expect(v.valid).toBe(false);
    expect(v.push(fromHex('41'))).toBe(false);
    v.reset();
    expect(v.push(fromHex('41'))).toBe(true);
  });

  it('finds bad bytes after long ASCII runs at every alignment', () => {
    for (let offset = 0; offset < 4; offset++) {
      for (const at of [0, 1, 63, 64, 65, 130, 199]) {
        const bytes = new Uint8Array(210).fill(0x61).subarray(offset, offset + 200);
        bytes[at] = 0x80;
        const v = new Utf8Validator();
        expect(v.push(bytes)).toBe(false);
        expect(v.errorOffset).toBe(at);
      }
    }
  });

  it('agrees with TextDecoder on every 1- and 2-byte input and a 3-byte sweep', () => {
    const pair = new Uint8Array(2);
    for (let a = 0; a < 256; a++) {
      expect(isValidUtf8(new Uint8Array([a]))).toBe(decoderSays(new Uint8Array([a])));
      for (let b = 0; b < 256; b++) {
        pair[0] = a;
        pair[1] = b;
        expect(isValidUtf8(pair)).toBe(decoderSays(pair));
      }
    }
    const triple = new Uint8Array(3);
    for (const a of [0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf4]) {
      for (let b = 0x70; b < 0xd0; b++) {
        for (const c of [0x41, 0x7f, 0x80, 0x9f, 0xa0, 0xbf, 0xc0]) {
          triple[0] = a;
          triple[1] = b;
          triple[2] = c;
          const v = new Utf8Validator();
          v.push(triple);
          // Complete iff TextDecoder accepts it; a valid prefix iff it or it plus
          // one more continuation byte is accepted (the longest form needs four).
          expect(v.end()).toBe(decoderSays(triple));
          expect(v.valid).toBe(decoderSays(triple) || decoderSays(new Uint8Array([a, b, c, 0x80])));
        }
      }
    }
  });
});
