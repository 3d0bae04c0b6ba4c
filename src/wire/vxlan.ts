/**
 * VXLAN headers (RFC 7348 §5): eight bytes in front of an inner Ethernet
 * frame carried in UDP to port 4789.
 *
 *     flags(8, I = 0x08) | reserved(24) | VNI(24) | reserved(8)
 *
 * The I flag says the VNI is valid and must be set; the other bits are
 * reserved, "MUST be set to zero on transmission and ignored on receipt". So
 * `parseVxlan` refuses a header without the I flag (`bad-flags`, as Linux
 * drops it) but keeps the reserved bits as sent, so they round-trip.
 */
import { decodeFailed, decoded, type Decoded } from './result.js';
import { ANCHOR_BYTES, keepShape } from './view-shapes.js';

export const VXLAN_PORT = 4789;
export const VXLAN_HEADER_LENGTH = 8;
/** The I flag: the VNI is valid. */
export const VXLAN_FLAG_I = 0x08;

/** A VXLAN header as a plain value. */
export interface VxlanHeader {
  /** The whole flags octet, I flag (0x08) included. */
  readonly flags: number;
  /** The 24 reserved bits after the flags. */
  readonly reserved1: number;
  /** VXLAN network identifier, 24 bits. */
  readonly vni: number;
  /** The 8 reserved bits after the VNI. */
  readonly reserved2: number;
}

/** A view of a VXLAN header and its inner frame. */
export class VxlanPacket {
  readonly bytes: Uint8Array;
  private readonly view: DataView;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  // One view kept alive so the hidden class (and code built on it) survives full GCs: view-shapes.ts.
  static {
    keepShape(new VxlanPacket(ANCHOR_BYTES));
  }

  static unchecked(bytes: Uint8Array): VxlanPacket {
    return new VxlanPacket(bytes);
  }

  /** `truncated` below 8 bytes. */
  static checked(bytes: Uint8Array): Decoded<VxlanPacket> {
    if (bytes.length < VXLAN_HEADER_LENGTH) {
      return decodeFailed(
        'truncated',
        `VXLAN packet of ${bytes.length} bytes is shorter than the 8-byte header`,
        bytes.length,
      );
    }
    return decoded(new VxlanPacket(bytes));
  }

  get flags(): number {
    return this.bytes[0] as number;
  }
  /** Whether the I flag is set (the VNI is valid). */
  get vniValid(): boolean {
    return ((this.bytes[0] as number) & VXLAN_FLAG_I) !== 0;
  }
  get reserved1(): number {
    return this.view.getUint32(0) & 0xffffff;
  }
  get vni(): number {
    return this.view.getUint32(4) >>> 8;
  }
  get reserved2(): number {
    return this.bytes[7] as number;
  }
  /** The inner Ethernet frame (a view). */
  get payload(): Uint8Array {
    return this.bytes.subarray(VXLAN_HEADER_LENGTH);
  }

  setFlags(value: number): void {
    this.bytes[0] = value;
  }
  setReserved1(value: number): void {
    this.view.setUint32(0, (((this.bytes[0] as number) << 24) | (value & 0xffffff)) >>> 0);
  }
  setVni(value: number): void {
    this.view.setUint32(4, (((value & 0xffffff) << 8) | (this.bytes[7] as number)) >>> 0);
  }
  setReserved2(value: number): void {
    this.bytes[7] = value;
  }
}

/** Always 8. */
export function vxlanHeaderLength(_header?: VxlanHeader): number {
  return VXLAN_HEADER_LENGTH;
}

/** Parses a VXLAN header: `truncated` below 8 bytes, `bad-flags` without the I flag. */
export function parseVxlan(
  bytes: Uint8Array,
): Decoded<{ header: VxlanHeader; payload: Uint8Array }> {
  const result = VxlanPacket.checked(bytes);
  if (!result.ok) return result;
  const packet = result.value;
  if (!packet.vniValid) {
    return decodeFailed(
      'bad-flags',
      `VXLAN flags 0x${packet.flags.toString(16).padStart(2, '0')} lack the I flag`,
      0,
    );
  }
  return decoded({
    header: {
      flags: packet.flags,
      reserved1: packet.reserved1,
      vni: packet.vni,
      reserved2: packet.reserved2,
    },
    payload: packet.payload,
  });
}

/** Writes the 8-byte header at `offset` as given; throws `RangeError` if it does not fit. */
export function emitVxlan(header: VxlanHeader, into: Uint8Array, offset = 0): number {
  if (offset < 0 || offset + VXLAN_HEADER_LENGTH > into.length) {
    throw new RangeError(
      `Cannot emit an 8-byte VXLAN header at offset ${offset}: buffer is ${into.length} bytes`,
    );
  }
  const packet = VxlanPacket.unchecked(into.subarray(offset, offset + VXLAN_HEADER_LENGTH));
  packet.setFlags(header.flags);
  packet.setReserved1(header.reserved1);
  packet.setReserved2(header.reserved2);
  packet.setVni(header.vni);
  return VXLAN_HEADER_LENGTH;
}
