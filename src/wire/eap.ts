/**
 * EAP packets (RFC 3748 §4, §5): Code, Identifier, Length, Data; for Request
 * and Response the first data byte is the Type, and Type 254 (Expanded) is
 * followed by a 3-byte Vendor-Id and a 4-byte Vendor-Type.
 *
 * `parseEap` never throws: bad bytes give a `DecodeFailure` the caller drops
 * and counts. Octets after `Length` are lower-layer padding (RFC 3748 §4) and
 * are ignored. Success and Failure carry no data; a longer Length is accepted
 * and the extra octets ignored (Postel, and what hostapd does), noted in
 * docs/eap.md. Type data is always a view of the input (zero copy).
 */
import { decodeFailed, decoded, type Decoded } from './result.js';

export const EapCode = { Request: 1, Response: 2, Success: 3, Failure: 4 } as const;
export type EapCode = (typeof EapCode)[keyof typeof EapCode];

/** IANA EAP method types the stack names (RFC 3748 §5, IANA registry). */
export const EapType = {
  Identity: 1,
  Notification: 2,
  Nak: 3,
  Md5Challenge: 4,
  Otp: 5,
  Gtc: 6,
  Tls: 13,
  Ttls: 21,
  Peap: 25,
  MsChapV2: 26,
  PeapExtensions: 33,
  Expanded: 254,
  Experimental: 255,
} as const;

export const EAP_HEADER_LENGTH = 4;
/** Header plus the Type octet. */
export const EAP_TYPED_HEADER_LENGTH = 5;
/** Type 254, Vendor-Id (3), Vendor-Type (4). */
export const EAP_EXPANDED_HEADER_LENGTH = 12;
export const EAP_MAX_LENGTH = 0xffff;
/** Vendor-Type of the Expanded Nak under Vendor-Id 0 (RFC 3748 §5.3.2). */
export const EXPANDED_NAK_VENDOR_TYPE = 3;

/** An expanded type: IETF types appear with vendor 0 and their legacy number. */
export interface ExpandedType {
  readonly vendorId: number;
  readonly vendorType: number;
}

/** Request or Response. `typeData` follows the Type octet (and, for 254, the 7 vendor octets). */
export interface EapMessage {
  readonly code: typeof EapCode.Request | typeof EapCode.Response;
  readonly identifier: number;
  readonly type: number;
  /** Present exactly when `type` is 254. */
  readonly expanded?: ExpandedType;
  readonly typeData: Uint8Array;
}

/** Success or Failure: no data. */
export interface EapResult {
  readonly code: typeof EapCode.Success | typeof EapCode.Failure;
  readonly identifier: number;
}

export type EapPacket = EapMessage | EapResult;

export function isEapMessage(packet: EapPacket): packet is EapMessage {
  return packet.code === EapCode.Request || packet.code === EapCode.Response;
}

/** Decodes one EAP packet. Failure codes: `truncated`, `bad-length`, `unknown-code`, `missing-type`, `truncated-expanded`. */
export function parseEap(bytes: Uint8Array): Decoded<EapPacket> {
  if (bytes.length < EAP_HEADER_LENGTH) {
    return decodeFailed(
      'truncated',
      `EAP packet of ${bytes.length} bytes is shorter than the 4-byte header`,
      bytes.length,
    );
  }
  const code = bytes[0] as number;
  const identifier = bytes[1] as number;
  const length = ((bytes[2] as number) << 8) | (bytes[3] as number);
  if (length < EAP_HEADER_LENGTH) {
    return decodeFailed('bad-length', `EAP Length ${length} is below the 4-byte header`, 2);
  }
  if (length > bytes.length) {
    return decodeFailed(
      'truncated',
      `EAP Length ${length} runs past the ${bytes.length} bytes received`,
      bytes.length,
    );
  }
  if (code === EapCode.Success || code === EapCode.Failure) {
    return decoded({ code, identifier });
  }
  if (code !== EapCode.Request && code !== EapCode.Response) {
    return decodeFailed('unknown-code', `EAP Code ${code} is not 1-4`, 0);
  }
  if (length < EAP_TYPED_HEADER_LENGTH) {
    return decodeFailed('missing-type', `EAP ${codeName(code)} without a Type octet`, 4);
  }
  const type = bytes[4] as number;
  if (type !== EapType.Expanded) {
    return decoded({ code, identifier, type, typeData: bytes.subarray(5, length) });
  }
  if (length < EAP_EXPANDED_HEADER_LENGTH) {
    return decodeFailed(
      'truncated-expanded',
      `Expanded EAP type needs 12 bytes, Length is ${length}`,
      5,
    );
  }
  const vendorId =
    ((bytes[5] as number) << 16) | ((bytes[6] as number) << 8) | (bytes[7] as number);
  const vendorType =
    ((bytes[8] as number) * 0x1000000 +
      (((bytes[9] as number) << 16) | ((bytes[10] as number) << 8) | (bytes[11] as number))) >>>
    0;
  return decoded({
    code,
    identifier,
    type,
    expanded: { vendorId, vendorType },
    typeData: bytes.subarray(EAP_EXPANDED_HEADER_LENGTH, length),
  });
}

/** The encoded size of `packet`. */
export function eapPacketLength(packet: EapPacket): number {
  if (!isEapMessage(packet)) return EAP_HEADER_LENGTH;
  const header =
    packet.type === EapType.Expanded ? EAP_EXPANDED_HEADER_LENGTH : EAP_TYPED_HEADER_LENGTH;
  return header + packet.typeData.length;
}

/**
 * Writes `packet` at `offset`; returns its length. Throws `RangeError` when it
 * does not fit, when it exceeds 65535 bytes, when a field is out of range, or
 * when `expanded` and `type` 254 disagree (API misuse: the caller built it).
 */
export function emitEap(packet: EapPacket, into: Uint8Array, offset = 0): number {
  const length = eapPacketLength(packet);
  checkByte('identifier', packet.identifier);
  if (length > EAP_MAX_LENGTH) throw new RangeError(`EAP packet of ${length} bytes exceeds 65535`);
  if (offset < 0 || offset + length > into.length) {
    throw new RangeError(
      `Cannot emit a ${length}-byte EAP packet at offset ${offset}: buffer is ${into.length} bytes`,
    );
  }
  into[offset] = packet.code;
  into[offset + 1] = packet.identifier;
  into[offset + 2] = length >>> 8;
  into[offset + 3] = length & 0xff;
  if (!isEapMessage(packet)) return length;
  checkByte('type', packet.type);
  into[offset + 4] = packet.type;
  let at = offset + EAP_TYPED_HEADER_LENGTH;
  if (packet.type === EapType.Expanded) {
    const expanded = packet.expanded;
    if (expanded === undefined) throw new RangeError('EAP type 254 needs `expanded`');
    writeExpanded(expanded, into, at - 1);
    at = offset + EAP_EXPANDED_HEADER_LENGTH;
  } else if (packet.expanded !== undefined) {
    throw new RangeError(`EAP type ${packet.type} cannot carry \`expanded\` (only 254)`);
  }
  into.set(packet.typeData, at);
  return length;
}

/** Encodes `packet` into a fresh buffer (the one allocation is the result). */
export function encodeEap(packet: EapPacket): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(eapPacketLength(packet));
  emitEap(packet, out);
  return out;
}

/** Writes the 8 bytes 254 ‖ Vendor-Id ‖ Vendor-Type at `offset`. */
function writeExpanded(expanded: ExpandedType, into: Uint8Array, offset: number): void {
  if (
    !Number.isInteger(expanded.vendorId) ||
    expanded.vendorId < 0 ||
    expanded.vendorId > 0xffffff
  ) {
    throw new RangeError(`Vendor-Id must be 0..0xffffff: got ${expanded.vendorId}`);
  }
  if (
    !Number.isInteger(expanded.vendorType) ||
    expanded.vendorType < 0 ||
    expanded.vendorType > 0xffffffff
  ) {
    throw new RangeError(`Vendor-Type must be 0..0xffffffff: got ${expanded.vendorType}`);
  }
  into[offset] = EapType.Expanded;
  into[offset + 1] = expanded.vendorId >>> 16;
  into[offset + 2] = (expanded.vendorId >>> 8) & 0xff;
  into[offset + 3] = expanded.vendorId & 0xff;
  into[offset + 4] = expanded.vendorType >>> 24;
  into[offset + 5] = (expanded.vendorType >>> 16) & 0xff;
  into[offset + 6] = (expanded.vendorType >>> 8) & 0xff;
  into[offset + 7] = expanded.vendorType & 0xff;
}

function checkByte(field: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) {
    throw new RangeError(`EAP ${field} must be 0..255: got ${value}`);
  }
}

function codeName(code: number): string {
  return code === EapCode.Request ? 'Request' : 'Response';
}

// --- Type data of the framework's own types -------------------------------

/**
 * The desired types of a legacy Nak (RFC 3748 §5.3.1): one octet each; 0 means
 * "no alternative". An empty Nak is malformed (`empty-nak`).
 */
export function parseNak(typeData: Uint8Array): Decoded<readonly number[]> {
  if (typeData.length === 0) return decodeFailed('empty-nak', 'Nak lists no desired type', 0);
  return decoded(Array.from(typeData));
}

/**
 * The desired types of an Expanded Nak (RFC 3748 §5.3.2): 8 octets each, every
 * one starting with 254; vendor 0 / type 0 means "no alternative". Failure
 * codes: `empty-nak`, `bad-expanded-nak` (length not a multiple of 8, or an
 * entry not starting with 254).
 */
export function parseExpandedNak(typeData: Uint8Array): Decoded<readonly ExpandedType[]> {
  if (typeData.length === 0) return decodeFailed('empty-nak', 'Expanded Nak lists no type', 0);
  if (typeData.length % 8 !== 0) {
    return decodeFailed(
      'bad-expanded-nak',
      `Expanded Nak data of ${typeData.length} bytes is not a multiple of 8`,
      typeData.length,
    );
  }
  const types: ExpandedType[] = [];
  for (let at = 0; at < typeData.length; at += 8) {
    if (typeData[at] !== EapType.Expanded) {
      return decodeFailed('bad-expanded-nak', 'Expanded Nak entry does not start with 254', at);
    }
    const vendorId =
      ((typeData[at + 1] as number) << 16) |
      ((typeData[at + 2] as number) << 8) |
      (typeData[at + 3] as number);
    const vendorType =
      ((typeData[at + 4] as number) * 0x1000000 +
        (((typeData[at + 5] as number) << 16) |
          ((typeData[at + 6] as number) << 8) |
          (typeData[at + 7] as number))) >>>
      0;
    types.push({ vendorId, vendorType });
  }
  return decoded(types);
}

/** Type data of a legacy Nak listing `desired` (an empty list becomes the single 0, "no alternative"). */
export function nakTypeData(desired: readonly number[]): Uint8Array<ArrayBuffer> {
  if (desired.length === 0) return Uint8Array.of(0);
  for (const type of desired) checkByte('desired type', type);
  return Uint8Array.from(desired);
}

/** Type data of an Expanded Nak listing `desired` (empty: vendor 0 type 0, "no alternative"). */
export function expandedNakTypeData(desired: readonly ExpandedType[]): Uint8Array<ArrayBuffer> {
  const list = desired.length === 0 ? [{ vendorId: 0, vendorType: 0 }] : desired;
  const out = new Uint8Array(list.length * 8);
  list.forEach((type, index) => writeExpanded(type, out, index * 8));
  return out;
}

/** The Expanded Nak's own type (vendor 0, type 3). */
export const EXPANDED_NAK: ExpandedType = { vendorId: 0, vendorType: EXPANDED_NAK_VENDOR_TYPE };
