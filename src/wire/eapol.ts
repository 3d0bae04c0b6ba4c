/**
 * EAPOL, the IEEE 802.1X-2020 §11.3 PDU header: protocol version, packet
 * type, packet body length, then the body (an EAP packet, an EAPOL-Key
 * descriptor, …). Only the header is decoded here; the body is a view.
 *
 * EAPOL frames travel with EtherType 0x888e, usually to the PAE group address
 * 01:80:c2:00:00:03. The body length says where the PDU ends: frames from a
 * real NIC are padded to 60 bytes and frames from veth or VXLAN are not, so
 * bytes after the body are ignored and a body cut short is `truncated`. Packet
 * types and versions are kept as numbers so unknown ones round-trip.
 */
import { EAP_HEADER_LENGTH } from './eap.js';
import { decodeFailed, decoded, type Decoded } from './result.js';
import { ANCHOR_BYTES, keepShape } from './view-shapes.js';

export const EAPOL_ETHERTYPE = 0x888e;
/** The port access entity group address (802.1X-2020 Table 11-1), for printing and comparing. */
export const PAE_GROUP_ADDRESS = '01:80:c2:00:00:03';
export const EAPOL_HEADER_LENGTH = 4;

/** EAPOL packet types (802.1X-2020 Table 11-3). */
export const EapolPacketType = {
  EapPacket: 0,
  Start: 1,
  Logoff: 2,
  Key: 3,
  EncapsulatedAsfAlert: 4,
  Mka: 5,
  AnnouncementGeneric: 6,
  AnnouncementSpecific: 7,
  AnnouncementRequest: 8,
} as const;
export type EapolPacketType = (typeof EapolPacketType)[keyof typeof EapolPacketType];

/** An EAPOL header as a plain value. */
export interface EapolHeader {
  /** 1 (802.1X-2001), 2 (-2004) or 3 (-2010 and later). */
  readonly version: number;
  readonly packetType: number;
  readonly bodyLength: number;
}

/** Whether the 6 bytes at `offset` are the PAE group address. Does not allocate. */
export function isPaeGroupAddress(bytes: Uint8Array, offset = 0): boolean {
  return (
    bytes[offset] === 0x01 &&
    bytes[offset + 1] === 0x80 &&
    bytes[offset + 2] === 0xc2 &&
    bytes[offset + 3] === 0x00 &&
    bytes[offset + 4] === 0x00 &&
    bytes[offset + 5] === 0x03
  );
}

/** A view of an EAPOL PDU. */
export class EapolPacket {
  readonly bytes: Uint8Array;
  private readonly view: DataView;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  // One view kept alive so the hidden class (and code built on it) survives full GCs: view-shapes.ts.
  static {
    keepShape(new EapolPacket(ANCHOR_BYTES));
  }

  static unchecked(bytes: Uint8Array): EapolPacket {
    return new EapolPacket(bytes);
  }

  /** `truncated` below 4 bytes or when the body runs past the bytes. */
  static checked(bytes: Uint8Array): Decoded<EapolPacket> {
    if (bytes.length < EAPOL_HEADER_LENGTH) {
      return decodeFailed(
        'truncated',
        `EAPOL PDU of ${bytes.length} bytes is shorter than the 4-byte header`,
        bytes.length,
      );
    }
    const packet = new EapolPacket(bytes);
    if (EAPOL_HEADER_LENGTH + packet.bodyLength > bytes.length) {
      return decodeFailed(
        'truncated',
        `EAPOL body of ${packet.bodyLength} bytes is cut off at ${bytes.length - EAPOL_HEADER_LENGTH}`,
        bytes.length,
      );
    }
    return decoded(packet);
  }

  get version(): number {
    return this.bytes[0] as number;
  }
  get packetType(): number {
    return this.bytes[1] as number;
  }
  get bodyLength(): number {
    return this.view.getUint16(2);
  }
  /** The body, exactly `bodyLength` bytes (a view). */
  get payload(): Uint8Array {
    return this.bytes.subarray(EAPOL_HEADER_LENGTH, EAPOL_HEADER_LENGTH + this.bodyLength);
  }

  setVersion(value: number): void {
    this.bytes[0] = value;
  }
  setPacketType(value: number): void {
    this.bytes[1] = value;
  }
  setBodyLength(value: number): void {
    this.view.setUint16(2, value);
  }
}

/** Always 4. */
export function eapolHeaderLength(_header?: EapolHeader): number {
  return EAPOL_HEADER_LENGTH;
}

/** Parses an EAPOL header; `payload` is the body, padding after it left out. */
export function parseEapol(
  bytes: Uint8Array,
): Decoded<{ header: EapolHeader; payload: Uint8Array }> {
  const result = EapolPacket.checked(bytes);
  if (!result.ok) return result;
  const packet = result.value;
  return decoded({
    header: {
      version: packet.version,
      packetType: packet.packetType,
      bodyLength: packet.bodyLength,
    },
    payload: packet.payload,
  });
}

/** Writes the 4-byte header at `offset` as given; throws `RangeError` if it does not fit. */
export function emitEapol(header: EapolHeader, into: Uint8Array, offset = 0): number {
  if (offset < 0 || offset + EAPOL_HEADER_LENGTH > into.length) {
    throw new RangeError(
      `Cannot emit a 4-byte EAPOL header at offset ${offset}: buffer is ${into.length} bytes`,
    );
  }
  const packet = EapolPacket.unchecked(into.subarray(offset, offset + EAPOL_HEADER_LENGTH));
  packet.setVersion(header.version);
  packet.setPacketType(header.packetType);
  packet.setBodyLength(header.bodyLength);
  return EAPOL_HEADER_LENGTH;
}

/** The highest EAPOL version this stack sends (802.1X-2010 and later use 3). */
export const EAPOL_MAX_VERSION = 3;
/** Ethernet header plus EAPOL header: where the body of an untagged EAPOL frame starts. */
export const EAPOL_FRAME_BODY_OFFSET = 14 + EAPOL_HEADER_LENGTH;

/**
 * An EAPOL PDU decoded by packet type (802.1X-2020 §11.3). Every body is a
 * view of the input. `eap-packet` carries the EAP packet exactly as long as
 * the EAPOL body says (netrx/eap decodes it); `key` keeps its descriptor type
 * and passes the descriptor through opaque (it belongs to 802.11 or MACsec,
 * not to this layer); `start` may carry TLVs from version 3 on (kept as the
 * body); `other` is MKA, the announcements and any type not yet assigned.
 */
export type EapolPdu =
  | { readonly kind: 'eap-packet'; readonly version: number; readonly eap: Uint8Array }
  | { readonly kind: 'start'; readonly version: number; readonly body: Uint8Array }
  | { readonly kind: 'logoff'; readonly version: number }
  | {
      readonly kind: 'key';
      readonly version: number;
      readonly descriptorType: number;
      readonly body: Uint8Array;
    }
  | { readonly kind: 'encapsulated-asf-alert'; readonly version: number; readonly body: Uint8Array }
  | {
      readonly kind: 'other';
      readonly version: number;
      readonly packetType: number;
      readonly body: Uint8Array;
    };

/**
 * Decodes an EAPOL PDU (the bytes after the Ethernet header). Never throws:
 * `truncated` when the header or the body is cut short, `bad-version` for
 * version 0 (every version from 1 up is read, 802.1X-2020 §11.5: a later
 * version is read as the fields this one knows), `eap-too-short` when an
 * EAP-Packet body cannot hold an EAP header, `eap-length-mismatch` when the
 * EAP Length runs past the EAPOL body, `empty-key` for a Key without its
 * descriptor type. Padding after the body is ignored.
 */
export function decodeEapolPdu(bytes: Uint8Array): Decoded<EapolPdu> {
  const checked = EapolPacket.checked(bytes);
  if (!checked.ok) return checked;
  const packet = checked.value;
  const version = packet.version;
  if (version === 0)
    return decodeFailed('bad-version', 'EAPOL protocol version 0 is not assigned', 0);
  const body = packet.payload;
  switch (packet.packetType) {
    case EapolPacketType.EapPacket: {
      if (body.length < EAP_HEADER_LENGTH) {
        return decodeFailed(
          'eap-too-short',
          `EAPOL EAP-Packet body of ${body.length} bytes cannot hold an EAP header`,
          EAPOL_HEADER_LENGTH,
        );
      }
      const eapLength = ((body[2] as number) << 8) | (body[3] as number);
      if (eapLength > body.length || eapLength < EAP_HEADER_LENGTH) {
        return decodeFailed(
          'eap-length-mismatch',
          `EAP Length ${eapLength} does not fit the EAPOL body of ${body.length} bytes`,
          EAPOL_HEADER_LENGTH + 2,
        );
      }
      return decoded({ kind: 'eap-packet', version, eap: body.subarray(0, eapLength) });
    }
    case EapolPacketType.Start:
      return decoded({ kind: 'start', version, body });
    case EapolPacketType.Logoff:
      return decoded({ kind: 'logoff', version });
    case EapolPacketType.Key:
      if (body.length < 1) {
        return decodeFailed(
          'empty-key',
          'EAPOL-Key without a descriptor type',
          EAPOL_HEADER_LENGTH,
        );
      }
      return decoded({ kind: 'key', version, descriptorType: body[0] as number, body });
    case EapolPacketType.EncapsulatedAsfAlert:
      return decoded({ kind: 'encapsulated-asf-alert', version, body });
    default:
      return decoded({ kind: 'other', version, packetType: packet.packetType, body });
  }
}

/**
 * Writes a whole untagged EAPOL frame into `into` (at least 18 bytes plus the
 * body): destination, source, EtherType 0x888e, the EAPOL header and `body`.
 * Returns the frame length. Throws `RangeError` if it does not fit or the
 * body is over 65535 bytes (API misuse, not untrusted input).
 */
export function emitEapolFrame(
  into: Uint8Array,
  destination: Uint8Array,
  source: Uint8Array,
  version: number,
  packetType: number,
  body: Uint8Array,
): number {
  const length = EAPOL_FRAME_BODY_OFFSET + body.length;
  if (body.length > 0xffff || length > into.length) {
    throw new RangeError(
      `An EAPOL frame with a ${body.length}-byte body does not fit ${into.length} bytes`,
    );
  }
  if (destination.length !== 6 || source.length !== 6) {
    throw new RangeError('EAPOL frame addresses are 6-byte MACs');
  }
  for (let i = 0; i < 6; i++) {
    into[i] = destination[i] as number;
    into[6 + i] = source[i] as number;
  }
  into[12] = EAPOL_ETHERTYPE >>> 8;
  into[13] = EAPOL_ETHERTYPE & 0xff;
  emitEapol({ version, packetType, bodyLength: body.length }, into, 14);
  into.set(body, EAPOL_FRAME_BODY_OFFSET);
  return length;
}
