/**
 * The ICMPv6 message view (RFC 4443 §2.1): type and code numbers, the fixed
 * length of each message kind, and `Icmpv6Packet`, the checked/unchecked view
 * with its getters, setters and pseudo-header checksum (RFC 8200 §8.1). The
 * plain-value messages are in icmpv6.ts, the ND options in nd-options.ts.
 */
import {
  finishChecksum,
  foldChecksum,
  ipv6PseudoHeaderSum,
  onesComplementSum,
} from './checksum.js';
import { IpProtocol } from './ip-protocol.js';
import { decodeFailed, decoded, type Decoded } from './result.js';
import { readU16, readU32, writeU16, writeU32 } from './big-endian.js';
import { ANCHOR_BYTES, keepShape } from './view-shapes.js';

export const Icmpv6Type = {
  DestinationUnreachable: 1,
  PacketTooBig: 2,
  TimeExceeded: 3,
  ParameterProblem: 4,
  EchoRequest: 128,
  EchoReply: 129,
  MulticastListenerQuery: 130,
  MulticastListenerReport: 131,
  MulticastListenerDone: 132,
  RouterSolicitation: 133,
  RouterAdvertisement: 134,
  NeighborSolicitation: 135,
  NeighborAdvertisement: 136,
  Redirect: 137,
  MulticastListenerReportV2: 143,
} as const;
export type Icmpv6Type = (typeof Icmpv6Type)[keyof typeof Icmpv6Type];

/** Codes of Destination Unreachable (RFC 4443 §3.1). */
export const Icmpv6UnreachableCode = {
  NoRoute: 0,
  AdministrativelyProhibited: 1,
  BeyondScope: 2,
  AddressUnreachable: 3,
  PortUnreachable: 4,
  SourcePolicyFailed: 5,
  RejectRoute: 6,
} as const;

export const ICMPV6_HEADER_LENGTH = 8;

/** Fixed length (before options or body) of the messages that have one; 8 for the rest. */
export function icmpv6FixedLength(type: number): number {
  switch (type) {
    case Icmpv6Type.RouterAdvertisement:
      return 16;
    case Icmpv6Type.NeighborSolicitation:
    case Icmpv6Type.NeighborAdvertisement:
      return 24;
    case Icmpv6Type.Redirect:
      return 40;
    default:
      return ICMPV6_HEADER_LENGTH;
  }
}

/**
 * A view of an ICMPv6 message. `checked` guarantees 8 bytes, and for RA, NS,
 * NA and redirect their fixed part, so the getters of the message's own type
 * stay in bounds.
 */
export class Icmpv6Packet {
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  // One view kept alive so the hidden class (and code built on it) survives full GCs: view-shapes.ts.
  static {
    keepShape(new Icmpv6Packet(ANCHOR_BYTES));
  }

  static unchecked(bytes: Uint8Array): Icmpv6Packet {
    return new Icmpv6Packet(bytes);
  }

  /** Fails with `truncated` below 8 bytes or below the fixed part of an ND message. */
  static checked(bytes: Uint8Array): Decoded<Icmpv6Packet> {
    if (bytes.length < ICMPV6_HEADER_LENGTH) {
      return decodeFailed(
        'truncated',
        `ICMPv6 message of ${bytes.length} bytes is shorter than 8 bytes`,
        bytes.length,
      );
    }
    const need = icmpv6FixedLength(bytes[0] as number);
    if (bytes.length < need) {
      return decodeFailed(
        'truncated',
        `ICMPv6 type ${bytes[0] as number} message of ${bytes.length} bytes is shorter than its ${need}-byte fixed part`,
        bytes.length,
      );
    }
    return decoded(new Icmpv6Packet(bytes));
  }

  get type(): number {
    return this.bytes[0] as number;
  }
  get code(): number {
    return this.bytes[1] as number;
  }
  get checksum(): number {
    return readU16(this.bytes, 2);
  }
  /** Bytes 4..7 as uint32: MTU of packet too big, pointer of parameter problem, ND flags word. */
  get rest(): number {
    return readU32(this.bytes, 4);
  }
  get identifier(): number {
    return readU16(this.bytes, 4);
  }
  get sequenceNumber(): number {
    return readU16(this.bytes, 6);
  }
  /** NA's R flag. */
  get routerFlag(): boolean {
    return ((this.bytes[4] as number) & 0x80) !== 0;
  }
  /** NA's S flag. */
  get solicitedFlag(): boolean {
    return ((this.bytes[4] as number) & 0x40) !== 0;
  }
  /** NA's O flag. */
  get overrideFlag(): boolean {
    return ((this.bytes[4] as number) & 0x20) !== 0;
  }
  /** Target address of NS, NA and redirect (bytes 8..23; a view). */
  get targetAddress(): Uint8Array {
    return this.bytes.subarray(8, 24);
  }
  /** The ND options (after the fixed part) or the body after byte 8 for other types (a view). */
  get payload(): Uint8Array {
    return this.bytes.subarray(icmpv6FixedLength(this.type));
  }

  /** The unfolded sum of the pseudo-header for this message between `source` and `destination`. */
  pseudoHeaderSum(source: Uint8Array, destination: Uint8Array): number {
    return ipv6PseudoHeaderSum(source, destination, IpProtocol.Icmpv6, this.bytes.length);
  }
  verifyChecksum(source: Uint8Array, destination: Uint8Array): boolean {
    return (
      foldChecksum(onesComplementSum(this.bytes, this.pseudoHeaderSum(source, destination))) ===
      0xffff
    );
  }

  setType(value: number): void {
    this.bytes[0] = value;
  }
  setCode(value: number): void {
    this.bytes[1] = value;
  }
  setChecksum(value: number): void {
    writeU16(this.bytes, 2, value);
  }
  setRest(value: number): void {
    writeU32(this.bytes, 4, value >>> 0);
  }
  setIdentifier(value: number): void {
    writeU16(this.bytes, 4, value);
  }
  setSequenceNumber(value: number): void {
    writeU16(this.bytes, 6, value);
  }
  setTargetAddress(address: Uint8Array): void {
    this.bytes.set(address.subarray(0, 16), 8);
  }
  /** Computes the checksum with the pseudo-header and writes it in place. */
  fillChecksum(source: Uint8Array, destination: Uint8Array): void {
    writeU16(this.bytes, 2, 0);
    writeU16(
      this.bytes,
      2,
      finishChecksum(onesComplementSum(this.bytes, this.pseudoHeaderSum(source, destination))),
    );
  }
}
