import { NetrxError } from '../runtime/index.js';

const HEX = '0123456789abcdef';
const BYTE_TO_HEX: string[] = Array.from(
  { length: 256 },
  (_, byte) => (HEX[byte >> 4] as string) + (HEX[byte & 15] as string),
);

/** Lower-case hex of `bytes`, with `separator` between bytes (none by default). */
export function toHex(bytes: Uint8Array, separator = ''): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    if (i > 0 && separator) out += separator;
    out += BYTE_TO_HEX[bytes[i] as number] as string;
  }
  return out;
}

function nibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

/**
 * Bytes from hex written for people: white space, `:`, `-` and `_` between
 * digits are ignored, and `#` or `//` starts a comment that runs to the end of
 * the line, so a fixture can be annotated field by field. Throws on anything
 * else, or on an odd number of digits.
 */
export function fromHex(text: string): Uint8Array<ArrayBuffer> {
  const digits: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 35 /* # */ || (code === 47 /* / */ && text.charCodeAt(i + 1) === 47)) {
      while (i < text.length && text.charCodeAt(i) !== 10) i++;
      continue;
    }
    if (code <= 32 || code === 58 || code === 45 || code === 95) continue;
    const value = nibble(code);
    if (value < 0) {
      throw new NetrxError(
        'ERR_HEX_INVALID',
        `Cannot read hex: unexpected character ${JSON.stringify(text[i])} at index ${i}`,
      );
    }
    digits.push(value);
  }
  if (digits.length % 2 !== 0) {
    throw new NetrxError(
      'ERR_HEX_INVALID',
      `Cannot read hex: odd number of digits: ${digits.length}`,
    );
  }
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = ((digits[2 * i] as number) << 4) | (digits[2 * i + 1] as number);
  }
  return out;
}

/** A classic hexdump: offset, sixteen bytes in hex, and their printable ASCII. */
export function hexdump(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let at = 0; at < bytes.length; at += 16) {
    const row = bytes.subarray(at, Math.min(at + 16, bytes.length));
    let ascii = '';
    for (const byte of row) ascii += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.';
    lines.push(
      `${at.toString(16).padStart(8, '0')}  ${toHex(row, ' ').padEnd(47, ' ')}  |${ascii}|`,
    );
  }
  return lines.join('\n');
}
