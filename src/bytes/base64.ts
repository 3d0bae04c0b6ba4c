import { NetrxError } from '../runtime/index.js';

/**
 * Base64 (RFC 4648 §4, standard alphabet, with `=` padding), done in-core so
 * that no core needs `btoa` or `Buffer`. The WebSocket handshake is its main
 * user: `Sec-WebSocket-Key` and `Sec-WebSocket-Accept` are both base64.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const ENCODE: string[] = Array.from(ALPHABET);
/** Character code → sextet, or -1 for characters outside the alphabet. */
const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/** Standard base64 of `bytes`, padded with `=` to a multiple of four characters. */
export function toBase64(bytes: Uint8Array): string {
  let out = '';
  const full = bytes.length - (bytes.length % 3);
  let i = 0;
  for (; i < full; i += 3) {
    const n =
      ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out +=
      (ENCODE[n >>> 18] as string) +
      (ENCODE[(n >>> 12) & 63] as string) +
      (ENCODE[(n >>> 6) & 63] as string) +
      (ENCODE[n & 63] as string);
  }
  const left = bytes.length - full;
  if (left === 1) {
    const n = (bytes[i] as number) << 16;
    out += (ENCODE[n >>> 18] as string) + (ENCODE[(n >>> 12) & 63] as string) + '==';
  } else if (left === 2) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8);
    out +=
      (ENCODE[n >>> 18] as string) +
      (ENCODE[(n >>> 12) & 63] as string) +
      (ENCODE[(n >>> 6) & 63] as string) +
      '=';
  }
  return out;
}

function sextet(text: string, at: number): number {
  const code = text.charCodeAt(at);
  return code < 128 ? (DECODE[code] as number) : -1;
}

/**
 * The bytes `text` encodes, or `undefined` if it is not padded standard
 * base64: the length must be a multiple of four, `=` may appear only as one or
 * two final characters, and nothing outside the alphabet is allowed (no white
 * space, no URL-safe alphabet). Like most decoders (RFC 4648 §3.5 leaves it
 * open), non-zero bits in the last character before padding are ignored.
 */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (text.length % 4 !== 0) return undefined;
  let padding = 0;
  if (text.length > 0 && text.charCodeAt(text.length - 1) === 61 /* = */) {
    padding = text.charCodeAt(text.length - 2) === 61 ? 2 : 1;
  }
  const out = new Uint8Array((text.length / 4) * 3 - padding);
  const fullGroups = padding === 0 ? text.length : text.length - 4;
  let o = 0;
  for (let i = 0; i < fullGroups; i += 4) {
    const a = sextet(text, i);
    const b = sextet(text, i + 1);
    const c = sextet(text, i + 2);
    const d = sextet(text, i + 3);
    if ((a | b | c | d) < 0) return undefined;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = n >>> 16;
    out[o++] = (n >>> 8) & 0xff;
    out[o++] = n & 0xff;
  }
  if (padding > 0) {
    const at = text.length - 4;
    const a = sextet(text, at);
    const b = sextet(text, at + 1);
    const c = padding === 1 ? sextet(text, at + 2) : 0;
    if ((a | b | c) < 0) return undefined;
    const n = (a << 18) | (b << 12) | (c << 6);
    out[o++] = n >>> 16;
    if (padding === 1) out[o] = (n >>> 8) & 0xff;
  }
  return out;
}

/** Like `decodeBase64`, but throws `ERR_BASE64_INVALID` instead of returning `undefined`. */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const bytes = decodeBase64(text);
  if (bytes === undefined) {
    throw new NetrxError(
      'ERR_BASE64_INVALID',
      `Cannot read base64: not padded standard base64: ${JSON.stringify(text.length > 40 ? text.slice(0, 40) + '…' : text)}`,
    );
  }
  return bytes;
}
