/**
 * What the shared secret protects: Message-Authenticator (RFC 3579 §3.2,
 * HMAC-MD5 over the packet with its own value zeroed; a response uses the
 * Request Authenticator in the header while it is computed), the Response
 * Authenticator (RFC 2865 §3, computed after the Message-Authenticator is
 * in place: the other order gives "Response Authenticator invalid"), the
 * Accounting Request Authenticator (RFC 2866 §3), the MS-MPPE key salt
 * encryption (RFC 2548 §2.4.2) and User-Password hiding (RFC 2865 §5.2).
 * Digests come from the injected `Crypto`; comparisons are constant-time.
 */
import { constantTimeEqual } from '../eap/index.js';
import type { Crypto } from '../runtime/index.js';
import { RadiusAttributeType } from './dictionary.js';
import {
  emitRadius,
  RADIUS_HEADER_LENGTH,
  type RadiusAttribute,
  type RadiusPacket,
} from './packet.js';

const ZERO16 = new Uint8Array(16);

/** Why a request's Message-Authenticator was refused; undefined when it is good. */
export type MessageAuthenticatorCheck = 'missing' | 'bad' | 'not-first' | 'duplicate' | undefined;

/**
 * Checks a request's Message-Authenticator against `secret`, computed with
 * the packet's own (Request) Authenticator. `requireFirst` refuses one that is
 * not the first attribute (BlastRADIUS hardening, strict mode).
 */
export function checkRequestMessageAuthenticator(
  crypto: Crypto,
  packet: RadiusPacket,
  secret: Uint8Array,
  requireFirst: boolean,
): MessageAuthenticatorCheck {
  let index = -1;
  for (let i = 0; i < packet.attributes.length; i++) {
    if ((packet.attributes[i] as RadiusAttribute).type !== RadiusAttributeType.MessageAuthenticator)
      continue;
    if (index >= 0) return 'duplicate';
    index = i;
  }
  if (index < 0) return 'missing';
  if (requireFirst && index !== 0) return 'not-first';
  const value = (packet.attributes[index] as RadiusAttribute).value;
  if (value.length !== 16) return 'bad';
  const expected = hmacWithZeroedValue(
    crypto,
    secret,
    packet.bytes,
    packet.offsets[index] as number,
    undefined,
  );
  return constantTimeEqual(expected, value) ? undefined : 'bad';
}

/** HMAC-MD5 of `bytes` with the 16 octets after the attribute header at `offset` zeroed (and the header's authenticator replaced, if given). */
function hmacWithZeroedValue(
  crypto: Crypto,
  secret: Uint8Array,
  bytes: Uint8Array,
  offset: number,
  headerAuthenticator: Uint8Array | undefined,
): Uint8Array {
  // The received bytes are not ours to zero: the digest runs over the parts
  // around the value, with zeros (and the other authenticator) in between.
  const tail = bytes.subarray(offset + 18);
  if (headerAuthenticator === undefined) {
    return crypto.hmac('md5', secret, bytes.subarray(0, offset + 2), ZERO16, tail);
  }
  return crypto.hmac(
    'md5',
    secret,
    bytes.subarray(0, 4),
    headerAuthenticator,
    bytes.subarray(20, offset + 2),
    ZERO16,
    tail,
  );
}

/**
 * Builds a signed response: Message-Authenticator first (when `withMessageAuthenticator`),
 * computed over the packet with the Request Authenticator in its header, then
 * the Response Authenticator MD5(Code‖Id‖Length‖RequestAuth‖Attributes‖Secret).
 */
export function signResponse(
  crypto: Crypto,
  code: number,
  identifier: number,
  requestAuthenticator: Uint8Array,
  attributes: readonly RadiusAttribute[],
  secret: Uint8Array,
  withMessageAuthenticator = true,
  alloc?: (size: number) => Uint8Array<ArrayBuffer>,
): Uint8Array<ArrayBuffer> {
  const all = withMessageAuthenticator
    ? [{ type: RadiusAttributeType.MessageAuthenticator, value: ZERO16 }, ...attributes]
    : attributes;
  const out = emitRadius(code, identifier, requestAuthenticator, all, alloc);
  if (withMessageAuthenticator) {
    out.set(crypto.hmac('md5', secret, out), RADIUS_HEADER_LENGTH + 2);
  }
  out.set(crypto.digest('md5', out, secret), 4);
  return out;
}

/** Builds an Access-Request or Status-Server: `authenticator` random (16), Message-Authenticator first. */
export function signAccessRequest(
  crypto: Crypto,
  code: number,
  identifier: number,
  authenticator: Uint8Array,
  attributes: readonly RadiusAttribute[],
  secret: Uint8Array,
): Uint8Array<ArrayBuffer> {
  const out = emitRadius(code, identifier, authenticator, [
    { type: RadiusAttributeType.MessageAuthenticator, value: ZERO16 },
    ...attributes,
  ]);
  out.set(crypto.hmac('md5', secret, out), RADIUS_HEADER_LENGTH + 2);
  return out;
}

/** Builds an Accounting-Request: Request Authenticator MD5(Code‖Id‖Length‖16 zeros‖Attributes‖Secret). */
export function signAccountingRequest(
  crypto: Crypto,
  identifier: number,
  attributes: readonly RadiusAttribute[],
  secret: Uint8Array,
): Uint8Array<ArrayBuffer> {
  const out = emitRadius(4, identifier, ZERO16, attributes);
  out.set(crypto.digest('md5', out, secret), 4);
  return out;
}

/** Whether an Accounting-Request's Request Authenticator is right (RFC 2866 §3). */
export function checkAccountingRequest(
  crypto: Crypto,
  packet: RadiusPacket,
  secret: Uint8Array,
): boolean {
  const copy = packet.bytes.slice();
  copy.fill(0, 4, 20);
  return constantTimeEqual(crypto.digest('md5', copy, secret), packet.authenticator);
}

/**
 * Checks a response to our request: the Response Authenticator, and the
 * Message-Authenticator (computed with our Request Authenticator in the
 * header). `requireMessageAuthenticator` refuses a response without one
 * (BlastRADIUS: always true for EAP).
 */
export function checkResponse(
  crypto: Crypto,
  packet: RadiusPacket,
  requestAuthenticator: Uint8Array,
  secret: Uint8Array,
  requireMessageAuthenticator: boolean,
): 'bad-response-authenticator' | MessageAuthenticatorCheck {
  const copy = packet.bytes.slice();
  copy.set(requestAuthenticator, 4);
  if (!constantTimeEqual(crypto.digest('md5', copy, secret), packet.authenticator)) {
    return 'bad-response-authenticator';
  }
  const index = packet.attributes.findIndex(
    (a) => a.type === RadiusAttributeType.MessageAuthenticator,
  );
  if (index < 0) return requireMessageAuthenticator ? 'missing' : undefined;
  const value = (packet.attributes[index] as RadiusAttribute).value;
  if (value.length !== 16) return 'bad';
  const expected = hmacWithZeroedValue(
    crypto,
    secret,
    packet.bytes,
    packet.offsets[index] as number,
    requestAuthenticator,
  );
  return constantTimeEqual(expected, value) ? undefined : 'bad';
}

/**
 * RFC 2548 §2.4.2 salt encryption of an MS-MPPE-Send/Recv-Key: Salt (2
 * octets, high bit set), then the plaintext (Key-Length, key, zero padding to
 * 16n) XORed with b(1) = MD5(secret‖RequestAuthenticator‖Salt), b(i) =
 * MD5(secret‖c(i-1)).
 */
export function encryptMppeKey(
  crypto: Crypto,
  key: Uint8Array,
  secret: Uint8Array,
  requestAuthenticator: Uint8Array,
  salt: Uint8Array,
): Uint8Array<ArrayBuffer> {
  if (salt.length !== 2 || ((salt[0] as number) & 0x80) === 0) {
    throw new RangeError('the MPPE salt is 2 octets with the high bit set');
  }
  if (key.length === 0 || key.length > 239) throw new RangeError('MPPE key must be 1..239 bytes');
  const plainLength = Math.ceil((1 + key.length) / 16) * 16;
  const out = new Uint8Array(2 + plainLength);
  out.set(salt, 0);
  out[2] = key.length;
  out.set(key, 3);
  let previous: Uint8Array = new Uint8Array([...requestAuthenticator, ...salt]);
  for (let at = 2; at < out.length; at += 16) {
    const b = crypto.digest('md5', secret, previous);
    for (let i = 0; i < 16; i++) out[at + i] = (out[at + i] as number) ^ (b[i] as number);
    previous = out.subarray(at, at + 16);
  }
  return out;
}

/** The inverse of `encryptMppeKey`; undefined when the value is malformed. */
export function decryptMppeKey(
  crypto: Crypto,
  value: Uint8Array,
  secret: Uint8Array,
  requestAuthenticator: Uint8Array,
): Uint8Array<ArrayBuffer> | undefined {
  if (value.length < 18 || (value.length - 2) % 16 !== 0) return undefined;
  const plain = new Uint8Array(value.length - 2);
  let previous: Uint8Array = new Uint8Array([...requestAuthenticator, ...value.subarray(0, 2)]);
  for (let at = 0; at < plain.length; at += 16) {
    const b = crypto.digest('md5', secret, previous);
    const c = value.subarray(2 + at, 2 + at + 16);
    for (let i = 0; i < 16; i++) plain[at + i] = (c[i] as number) ^ (b[i] as number);
    previous = c;
  }
  const length = plain[0] as number;
  if (length === 0 || 1 + length > plain.length) return undefined;
  return plain.slice(1, 1 + length);
}

/** RFC 2865 §5.2: hides a User-Password (null-padded to 16n, at most 128 octets). */
export function hideUserPassword(
  crypto: Crypto,
  password: Uint8Array,
  secret: Uint8Array,
  requestAuthenticator: Uint8Array,
): Uint8Array<ArrayBuffer> {
  if (password.length > 128) throw new RangeError('User-Password is at most 128 octets');
  const out = new Uint8Array(Math.max(16, Math.ceil(password.length / 16) * 16));
  out.set(password);
  let previous: Uint8Array = requestAuthenticator;
  for (let at = 0; at < out.length; at += 16) {
    const b = crypto.digest('md5', secret, previous);
    for (let i = 0; i < 16; i++) out[at + i] = (out[at + i] as number) ^ (b[i] as number);
    previous = out.subarray(at, at + 16);
  }
  return out;
}

/** The inverse of `hideUserPassword` (trailing NULs removed); undefined when malformed. */
export function revealUserPassword(
  crypto: Crypto,
  hidden: Uint8Array,
  secret: Uint8Array,
  requestAuthenticator: Uint8Array,
): Uint8Array<ArrayBuffer> | undefined {
  if (hidden.length < 16 || hidden.length > 128 || hidden.length % 16 !== 0) return undefined;
  const out = new Uint8Array(hidden.length);
  let previous: Uint8Array = requestAuthenticator;
  for (let at = 0; at < out.length; at += 16) {
    const b = crypto.digest('md5', secret, previous);
    const c = hidden.subarray(at, at + 16);
    for (let i = 0; i < 16; i++) out[at + i] = (c[i] as number) ^ (b[i] as number);
    previous = c;
  }
  let end = out.length;
  while (end > 0 && out[end - 1] === 0) end--;
  return out.slice(0, end);
}
