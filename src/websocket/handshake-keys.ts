/**
 * The opening handshake's key and accept values (RFC 6455 §4.1, §4.2.2):
 * HTTP/1.1 only, since an RFC 8441 stream has neither. The SHA-1 and the
 * random bytes come from the injected `Crypto`; base64 is done here.
 */
import { decodeBase64, toBase64 } from '../bytes/base64.js';
import type { Crypto } from '../runtime/index.js';

/** RFC 6455 §1.3: appended to the key before hashing. */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** The only protocol version RFC 6455 defines (§4.1, §11.6). */
export const WEBSOCKET_VERSION = '13';

const KEY_SHAPE = /^[A-Za-z0-9+/]{22}==$/;

function ascii(text: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** `Sec-WebSocket-Accept` for `key`: base64(SHA-1(key + GUID)) (RFC 6455 §4.2.2). */
export function computeAccept(key: string, crypto: Crypto): string {
  return toBase64(crypto.digest('sha1', ascii(key + WEBSOCKET_GUID)));
}

/** A fresh `Sec-WebSocket-Key`: 16 random bytes, base64 (RFC 6455 §4.1). */
export function generateKey(crypto: Crypto): string {
  return toBase64(crypto.randomBytes(16));
}

/** Whether `key` is the base64 of exactly 16 bytes. */
export function isValidKey(key: string): boolean {
  return KEY_SHAPE.test(key) && decodeBase64(key)?.length === 16;
}
