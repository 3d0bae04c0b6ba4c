/**
 * Tunnel attributes (RFC 2868) for VLAN assignment (RFC 3580 §3.31):
 * tagged attributes (a Tag octet 0x01–0x1F groups the attributes of one
 * tunnel; 0 means none), and Tunnel-Password salt encryption (RFC 2868
 * §3.5): Tag, Salt (2 octets, high bit set), then Data-Length ‖ password ‖
 * padding XORed with b(1) = MD5(secret ‖ Request Authenticator ‖ Salt),
 * b(i) = MD5(secret ‖ c(i-1)) — the same construction as the MS-MPPE keys.
 */
import type { Crypto } from '../runtime/index.js';
import { RadiusAttributeType } from './dictionary.js';
import type { RadiusAttribute } from './packet.js';
import { decryptMppeKey, encryptMppeKey } from './signing.js';

/** Tunnel-Type 13 (VLAN) and Tunnel-Medium-Type 6 (IEEE-802), RFC 3580 §3.31. */
export const TunnelType = { Vlan: 13 } as const;
export const TunnelMediumType = { Ieee802: 6 } as const;

function checkTag(tag: number): void {
  if (!Number.isInteger(tag) || tag < 0 || tag > 0x1f) throw new RangeError('a tag is 0..31');
}

/** A tagged integer attribute: Tag octet, then the value in 3 octets (RFC 2868 §3.1). */
export function taggedInteger(type: number, value: number, tag = 0): RadiusAttribute {
  checkTag(tag);
  if (!Number.isInteger(value) || value < 0 || value > 0xffffff)
    throw new RangeError('a tagged integer is 0..2^24-1');
  return { type, value: Uint8Array.of(tag, value >>> 16, (value >>> 8) & 0xff, value & 0xff) };
}

/** A tagged string attribute: a Tag octet only when `tag` is 1..31 (RFC 2868 §3.6). */
export function taggedString(type: number, text: string, tag = 0): RadiusAttribute {
  checkTag(tag);
  const bytes = new TextEncoder().encode(text);
  const value = tag === 0 ? bytes : Uint8Array.of(tag, ...bytes);
  if (value.length === 0 || value.length > 253) throw new RangeError('a string is 1..253 octets');
  return { type, value };
}

/** Reads a tagged integer; undefined when it is not 4 octets. */
export function readTaggedInteger(value: Uint8Array): { tag: number; value: number } | undefined {
  if (value.length !== 4) return undefined;
  return {
    tag: value[0] as number,
    value: ((value[1] as number) << 16) | ((value[2] as number) << 8) | (value[3] as number),
  };
}

/** The three attributes that put a port on VLAN `vlan` (RFC 3580 §3.31). */
export function vlanAttributes(vlan: string | number, tag = 0): RadiusAttribute[] {
  const id = String(vlan);
  if (id.length === 0) throw new RangeError('a VLAN id is needed');
  return [
    taggedInteger(RadiusAttributeType.TunnelType, TunnelType.Vlan, tag),
    taggedInteger(RadiusAttributeType.TunnelMediumType, TunnelMediumType.Ieee802, tag),
    taggedString(RadiusAttributeType.TunnelPrivateGroupId, id, tag),
  ];
}

/** Tunnel-Password (RFC 2868 §3.5) for a response to `requestAuthenticator`; `salt` 2 octets, high bit set. */
export function encryptTunnelPassword(
  crypto: Crypto,
  password: Uint8Array,
  secret: Uint8Array,
  requestAuthenticator: Uint8Array,
  salt: Uint8Array,
  tag = 0,
): RadiusAttribute {
  checkTag(tag);
  if (password.length === 0 || password.length > 239)
    throw new RangeError('a Tunnel-Password is 1..239 octets here');
  const sealed = encryptMppeKey(crypto, password, secret, requestAuthenticator, salt);
  return { type: RadiusAttributeType.TunnelPassword, value: Uint8Array.of(tag, ...sealed) };
}

/** The inverse of `encryptTunnelPassword`; undefined when malformed. */
export function decryptTunnelPassword(
  crypto: Crypto,
  value: Uint8Array,
  secret: Uint8Array,
  requestAuthenticator: Uint8Array,
): { tag: number; password: Uint8Array } | undefined {
  if (value.length < 19) return undefined;
  const password = decryptMppeKey(crypto, value.subarray(1), secret, requestAuthenticator);
  return password === undefined ? undefined : { tag: value[0] as number, password };
}
