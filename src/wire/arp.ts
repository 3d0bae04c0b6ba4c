/**
 * ARP packets (RFC 826, "Packet format"), for any hardware and protocol
 * address lengths; Ethernet/IPv4 (6/4) is the case the link layer answers.
 *
 * The packet's size follows from its own length fields (8 + 2 × (hlen + plen)),
 * so bytes after it (Ethernet padding to 60 bytes) are ignored. `checked` makes
 * sure all four addresses are present. Operations and hardware types are kept
 * as numbers so unknown values (RARP, InARP, …) round-trip.
 */
import { ipv4AddressFromBytes } from './ipv4.js';
import { decodeFailed, decoded, type Decoded } from './result.js';
import { readU16, writeU16 } from './big-endian.js';
import { ANCHOR_BYTES, keepShape } from './view-shapes.js';

/** ARP operation codes (RFC 826; RFC 903 RARP; RFC 2390 InARP). */
export const ArpOperation = {
  Request: 1,
  Reply: 2,
  RarpRequest: 3,
  RarpReply: 4,
  InArpRequest: 8,
  InArpReply: 9,
} as const;
export type ArpOperation = (typeof ArpOperation)[keyof typeof ArpOperation];

/** ARP hardware types (IANA "Hardware Types"). */
export const ArpHardwareType = {
  Ethernet: 1,
  Ieee802: 6,
} as const;
export type ArpHardwareType = (typeof ArpHardwareType)[keyof typeof ArpHardwareType];

/** The fixed part: htype, ptype, hlen, plen, oper. */
export const ARP_FIXED_LENGTH = 8;
/** An Ethernet/IPv4 ARP packet: 8 + 2 × (6 + 4). */
export const ARP_ETHERNET_IPV4_LENGTH = 28;

/** An ARP packet as a plain value. Addresses are views into the input. */
export interface ArpHeader {
  readonly hardwareType: number;
  /** An EtherType: 0x0800 for IPv4. */
  readonly protocolType: number;
  readonly operation: number;
  /** `hardwareLength` bytes; the sender and target hardware addresses must be the same length. */
  readonly senderHardwareAddress: Uint8Array;
  readonly senderProtocolAddress: Uint8Array;
  readonly targetHardwareAddress: Uint8Array;
  readonly targetProtocolAddress: Uint8Array;
}

/** A view of an ARP packet. */
export class ArpPacket {
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  // One view kept alive so the hidden class (and code built on it) survives full GCs: view-shapes.ts.
  static {
    keepShape(new ArpPacket(ANCHOR_BYTES));
  }

  static unchecked(bytes: Uint8Array): ArpPacket {
    return new ArpPacket(bytes);
  }

  /** Fails with `truncated` unless the fixed part and all four addresses are present. */
  static checked(bytes: Uint8Array): Decoded<ArpPacket> {
    if (bytes.length < ARP_FIXED_LENGTH) {
      return decodeFailed(
        'truncated',
        `ARP packet of ${bytes.length} bytes is shorter than its 8-byte fixed part`,
        bytes.length,
      );
    }
    const packet = new ArpPacket(bytes);
    if (packet.packetLength > bytes.length) {
      return decodeFailed(
        'truncated',
        `ARP packet with ${packet.hardwareLength}-byte hardware and ${packet.protocolLength}-byte protocol addresses needs ${packet.packetLength} bytes: got ${bytes.length}`,
        bytes.length,
      );
    }
    return decoded(packet);
  }

  get hardwareType(): number {
    return readU16(this.bytes, 0);
  }
  get protocolType(): number {
    return readU16(this.bytes, 2);
  }
  get hardwareLength(): number {
    return this.bytes[4] as number;
  }
  get protocolLength(): number {
    return this.bytes[5] as number;
  }
  get operation(): number {
    return readU16(this.bytes, 6);
  }
  /** 8 + 2 × (hlen + plen): where the packet ends and padding begins. */
  get packetLength(): number {
    return ARP_FIXED_LENGTH + 2 * (this.hardwareLength + this.protocolLength);
  }
  /** Whether this is the Ethernet/IPv4 form (htype 1, ptype 0x0800, 6/4). */
  get isEthernetIpv4(): boolean {
    return (
      this.hardwareType === 1 &&
      this.protocolType === 0x0800 &&
      this.hardwareLength === 6 &&
      this.protocolLength === 4
    );
  }
  get senderHardwareAddress(): Uint8Array {
    return this.bytes.subarray(8, 8 + this.hardwareLength);
  }
  get senderProtocolAddress(): Uint8Array {
    const start = 8 + this.hardwareLength;
    return this.bytes.subarray(start, start + this.protocolLength);
  }
  get targetHardwareAddress(): Uint8Array {
    const start = 8 + this.hardwareLength + this.protocolLength;
    return this.bytes.subarray(start, start + this.hardwareLength);
  }
  get targetProtocolAddress(): Uint8Array {
    const start = 8 + 2 * this.hardwareLength + this.protocolLength;
    return this.bytes.subarray(start, start + this.protocolLength);
  }
  /** The sender's IPv4 address as uint32 when `protocolLength` is 4, else -1. Does not allocate. */
  get senderIpv4Address(): number {
    if (this.protocolLength !== 4) return -1;
    return ipv4AddressFromBytes(this.bytes, 8 + this.hardwareLength);
  }
  /** The target's IPv4 address as uint32 when `protocolLength` is 4, else -1. Does not allocate. */
  get targetIpv4Address(): number {
    if (this.protocolLength !== 4) return -1;
    return ipv4AddressFromBytes(this.bytes, 12 + 2 * this.hardwareLength);
  }

  setHardwareType(value: number): void {
    writeU16(this.bytes, 0, value);
  }
  setProtocolType(value: number): void {
    writeU16(this.bytes, 2, value);
  }
  /** Sets hlen and plen; set them before the addresses, which they place. */
  setAddressLengths(hardwareLength: number, protocolLength: number): void {
    this.bytes[4] = hardwareLength;
    this.bytes[5] = protocolLength;
  }
  setOperation(value: number): void {
    writeU16(this.bytes, 6, value);
  }
  setSenderHardwareAddress(address: Uint8Array): void {
    this.bytes.set(address.subarray(0, this.hardwareLength), 8);
  }
  setSenderProtocolAddress(address: Uint8Array): void {
    this.bytes.set(address.subarray(0, this.protocolLength), 8 + this.hardwareLength);
  }
  setTargetHardwareAddress(address: Uint8Array): void {
    this.bytes.set(
      address.subarray(0, this.hardwareLength),
      8 + this.hardwareLength + this.protocolLength,
    );
  }
  setTargetProtocolAddress(address: Uint8Array): void {
    this.bytes.set(
      address.subarray(0, this.protocolLength),
      8 + 2 * this.hardwareLength + this.protocolLength,
    );
  }
}

/** Packet length for `header`: 8 + 2 × (hlen + plen). */
export function arpHeaderLength(header: ArpHeader): number {
  return (
    ARP_FIXED_LENGTH +
    2 * (header.senderHardwareAddress.length + header.senderProtocolAddress.length)
  );
}

/** Parses an ARP packet (`truncated` if its addresses are cut off); padding after it is ignored. */
export function parseArp(bytes: Uint8Array): Decoded<ArpHeader> {
  const result = ArpPacket.checked(bytes);
  if (!result.ok) return result;
  const packet = result.value;
  return decoded({
    hardwareType: packet.hardwareType,
    protocolType: packet.protocolType,
    operation: packet.operation,
    senderHardwareAddress: packet.senderHardwareAddress,
    senderProtocolAddress: packet.senderProtocolAddress,
    targetHardwareAddress: packet.targetHardwareAddress,
    targetProtocolAddress: packet.targetProtocolAddress,
  });
}

/**
 * Writes `header` at `offset` and returns the bytes written. Throws
 * `RangeError` when sender and target addresses differ in length, a length
 * exceeds 255, or the packet does not fit.
 */
export function emitArp(header: ArpHeader, into: Uint8Array, offset = 0): number {
  const hlen = header.senderHardwareAddress.length;
  const plen = header.senderProtocolAddress.length;
  if (
    header.targetHardwareAddress.length !== hlen ||
    header.targetProtocolAddress.length !== plen ||
    hlen > 255 ||
    plen > 255
  ) {
    throw new RangeError(
      'Cannot emit an ARP packet: sender and target addresses must have the same lengths, at most 255',
    );
  }
  const length = arpHeaderLength(header);
  if (offset < 0 || offset + length > into.length) {
    throw new RangeError(
      `Cannot emit a ${length}-byte ARP packet at offset ${offset}: buffer is ${into.length} bytes`,
    );
  }
  const packet = ArpPacket.unchecked(into.subarray(offset, offset + length));
  packet.setHardwareType(header.hardwareType);
  packet.setProtocolType(header.protocolType);
  packet.setAddressLengths(hlen, plen);
  packet.setOperation(header.operation);
  packet.setSenderHardwareAddress(header.senderHardwareAddress);
  packet.setSenderProtocolAddress(header.senderProtocolAddress);
  packet.setTargetHardwareAddress(header.targetHardwareAddress);
  packet.setTargetProtocolAddress(header.targetProtocolAddress);
  return length;
}
