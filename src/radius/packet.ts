/**
 * RADIUS packets (RFC 2865 §3, §5): Code, Identifier, Length, a 16-octet
 * Authenticator, then attributes as Type, Length (counting both octets),
 * Value. `parseRadius` never throws: bad bytes give a `DecodeFailure` the
 * caller drops and counts. Octets past Length are padding and ignored
 * (RFC 2865 §3). Attribute values are views of the input (zero copy).
 */
import { decodeFailed, decoded, type Decoded } from '../wire/result.js';

export const RadiusCode = {
  AccessRequest: 1,
  AccessAccept: 2,
  AccessReject: 3,
  AccountingRequest: 4,
  AccountingResponse: 5,
  AccessChallenge: 11,
  StatusServer: 12,
  StatusClient: 13,
} as const;
export type RadiusCode = (typeof RadiusCode)[keyof typeof RadiusCode];

export const RADIUS_HEADER_LENGTH = 20;
/** RFC 2865 §3: the largest packet. */
export const RADIUS_MAX_LENGTH = 4096;
/** The largest attribute value (255 minus Type and Length). */
export const RADIUS_MAX_VALUE = 253;

export interface RadiusAttribute {
  readonly type: number;
  readonly value: Uint8Array;
}

export interface RadiusPacket {
  readonly code: number;
  readonly identifier: number;
  /** The Request or Response Authenticator: a view of the input when parsed. */
  readonly authenticator: Uint8Array;
  readonly attributes: readonly RadiusAttribute[];
  /** Where each attribute starts in the packet (for Message-Authenticator's zeroing). */
  readonly offsets: readonly number[];
  /** The packet's own bytes (up to Length). */
  readonly bytes: Uint8Array;
}

/**
 * Decodes one RADIUS packet. Failure codes: `truncated` (shorter than the
 * header or than Length), `bad-length` (Length below 20 or above 4096),
 * `bad-attribute-length` (an attribute Length below 2 or past the packet).
 */
export function parseRadius(bytes: Uint8Array): Decoded<RadiusPacket> {
  if (bytes.length < RADIUS_HEADER_LENGTH) {
    return decodeFailed('truncated', `RADIUS packet of ${bytes.length} bytes is shorter than 20`);
  }
  const length = ((bytes[2] as number) << 8) | (bytes[3] as number);
  if (length < RADIUS_HEADER_LENGTH || length > RADIUS_MAX_LENGTH) {
    return decodeFailed('bad-length', `RADIUS Length ${length} is outside 20..4096`, 2);
  }
  if (length > bytes.length) {
    return decodeFailed(
      'truncated',
      `RADIUS Length ${length} runs past the ${bytes.length} bytes received`,
      bytes.length,
    );
  }
  const attributes: RadiusAttribute[] = [];
  const offsets: number[] = [];
  let at = RADIUS_HEADER_LENGTH;
  while (at < length) {
    if (at + 2 > length) {
      return decodeFailed('bad-attribute-length', 'attribute header runs past Length', at);
    }
    const attributeLength = bytes[at + 1] as number;
    if (attributeLength < 2 || at + attributeLength > length) {
      return decodeFailed(
        'bad-attribute-length',
        `attribute ${bytes[at] as number} has Length ${attributeLength}`,
        at + 1,
      );
    }
    attributes.push({
      type: bytes[at] as number,
      value: bytes.subarray(at + 2, at + attributeLength),
    });
    offsets.push(at);
    at += attributeLength;
  }
  return decoded({
    code: bytes[0] as number,
    identifier: bytes[1] as number,
    authenticator: bytes.subarray(4, 20),
    attributes,
    offsets,
    bytes: bytes.subarray(0, length),
  });
}

function newBytes(size: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(size);
}

/** The encoded length of a packet with these attributes. */
export function radiusLength(attributes: readonly RadiusAttribute[]): number {
  let length = RADIUS_HEADER_LENGTH;
  for (const attribute of attributes) length += 2 + attribute.value.length;
  return length;
}

/**
 * Encodes a packet. Throws RangeError for a value over 253 octets, a packet
 * over 4096, or out-of-range numbers: building one is the caller's doing.
 */
export function emitRadius(
  code: number,
  identifier: number,
  authenticator: Uint8Array,
  attributes: readonly RadiusAttribute[],
  alloc: (size: number) => Uint8Array<ArrayBuffer> = newBytes,
): Uint8Array<ArrayBuffer> {
  if (authenticator.length !== 16) throw new RangeError('the Authenticator is 16 octets');
  const length = radiusLength(attributes);
  if (length > RADIUS_MAX_LENGTH) {
    throw new RangeError(`RADIUS packet of ${length} bytes exceeds 4096`);
  }
  // `alloc` gives zeroed, never-shared bytes (a slab region or its own buffer).
  const out = alloc(length);
  out[0] = code;
  out[1] = identifier & 0xff;
  out[2] = length >>> 8;
  out[3] = length & 0xff;
  out.set(authenticator, 4);
  let at = RADIUS_HEADER_LENGTH;
  for (const attribute of attributes) {
    if (attribute.value.length > RADIUS_MAX_VALUE) {
      throw new RangeError(
        `attribute ${attribute.type} value of ${attribute.value.length} bytes exceeds 253`,
      );
    }
    if (!Number.isInteger(attribute.type) || attribute.type < 1 || attribute.type > 255) {
      throw new RangeError(`attribute type must be 1..255: got ${attribute.type}`);
    }
    out[at] = attribute.type;
    out[at + 1] = 2 + attribute.value.length;
    out.set(attribute.value, at + 2);
    at += 2 + attribute.value.length;
  }
  return out;
}

/** All values of attribute `type`, in order. */
export function attributeValues(
  packet: { readonly attributes: readonly RadiusAttribute[] },
  type: number,
): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const attribute of packet.attributes) if (attribute.type === type) out.push(attribute.value);
  return out;
}

/** The first value of attribute `type`. */
export function attributeValue(
  packet: { readonly attributes: readonly RadiusAttribute[] },
  type: number,
): Uint8Array | undefined {
  for (const attribute of packet.attributes) if (attribute.type === type) return attribute.value;
  return undefined;
}

/** A Vendor-Specific value's sub-attributes (RFC 2865 §5.26 format), or undefined if malformed. */
export function parseVendorSpecific(
  value: Uint8Array,
): { readonly vendorId: number; readonly subAttributes: readonly RadiusAttribute[] } | undefined {
  if (value.length < 4) return undefined;
  const vendorId =
    ((value[0] as number) * 0x1000000 +
      (((value[1] as number) << 16) | ((value[2] as number) << 8) | (value[3] as number))) >>>
    0;
  const subAttributes: RadiusAttribute[] = [];
  let at = 4;
  while (at < value.length) {
    const length = value[at + 1];
    if (length === undefined || length < 2 || at + length > value.length) return undefined;
    subAttributes.push({ type: value[at] as number, value: value.subarray(at + 2, at + length) });
    at += length;
  }
  return { vendorId, subAttributes };
}

/** A 32-bit big-endian integer value (RFC 2865 "integer"), or undefined if not 4 octets. */
export function integerValue(value: Uint8Array | undefined): number | undefined {
  if (value?.length !== 4) return undefined;
  return (
    ((value[0] as number) * 0x1000000 +
      (((value[1] as number) << 16) | ((value[2] as number) << 8) | (value[3] as number))) >>>
    0
  );
}

export function integerBytes(n: number): Uint8Array<ArrayBuffer> {
  return Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}
