/**
 * ICMP for IPv4 (RFC 792): every message is Type, Code, Checksum, four bytes
 * whose meaning depends on the type, then a body.
 *
 * Echo (types 8/0) carries identifier, sequence number and data; Destination
 * Unreachable (3) and Time Exceeded (11) carry the start of the datagram that
 * caused them (its IP header plus at least 8 bytes, RFC 792; up to 576 bytes
 * in all, RFC 1812 §4.3.2.3). Code 4 of Destination Unreachable carries the
 * next-hop MTU in the low 16 bits of the rest-of-header (RFC 1191 §4). Other
 * types keep their rest-of-header and body raw, so they round-trip.
 *
 * The checksum covers the whole message and nothing else, so `parseIcmpv4`
 * verifies it (`bad-checksum`) and `emitIcmpv4` computes it; the message
 * objects have no checksum field. The message ends where the IP payload ends.
 */
import { finishChecksum, onesComplementSum, verifyInternetChecksum } from './checksum.js';
import { decodeFailed, decoded, type Decoded } from './result.js';
import { readU16, readU32, writeU16, writeU32 } from './big-endian.js';
import { ANCHOR_BYTES, keepShape } from './view-shapes.js';

export const Icmpv4Type = {
  EchoReply: 0,
  DestinationUnreachable: 3,
  SourceQuench: 4,
  Redirect: 5,
  EchoRequest: 8,
  RouterAdvertisement: 9,
  RouterSolicitation: 10,
  TimeExceeded: 11,
  ParameterProblem: 12,
  Timestamp: 13,
  TimestampReply: 14,
} as const;
export type Icmpv4Type = (typeof Icmpv4Type)[keyof typeof Icmpv4Type];

/** Codes of Destination Unreachable (RFC 792; RFC 1122 §3.2.2.1; RFC 1812 §5.2.7.1). */
export const Icmpv4UnreachableCode = {
  NetUnreachable: 0,
  HostUnreachable: 1,
  ProtocolUnreachable: 2,
  PortUnreachable: 3,
  FragmentationNeeded: 4,
  SourceRouteFailed: 5,
  NetUnknown: 6,
  HostUnknown: 7,
  NetProhibited: 9,
  HostProhibited: 10,
  CommunicationProhibited: 13,
} as const;

/** Codes of Time Exceeded (RFC 792). */
export const Icmpv4TimeExceededCode = {
  TtlExceeded: 0,
  ReassemblyTimeExceeded: 1,
} as const;

export const ICMPV4_HEADER_LENGTH = 8;

/** ICMPv4 messages as plain values. Byte fields are views into the input. */
export type Icmpv4Message =
  | {
      readonly kind: 'echo-request' | 'echo-reply';
      readonly code: number;
      readonly identifier: number;
      readonly sequenceNumber: number;
      readonly data: Uint8Array;
    }
  | {
      readonly kind: 'destination-unreachable';
      readonly code: number;
      /** The high 16 bits of the rest-of-header, unused (kept as sent). */
      readonly unused: number;
      /** Next-hop MTU for code 4 (RFC 1191); as sent for other codes, normally 0. */
      readonly nextHopMtu: number;
      /** The quoted datagram: its IP header and the start of its payload. */
      readonly original: Uint8Array;
    }
  | {
      readonly kind: 'time-exceeded';
      readonly code: number;
      /** The rest-of-header, unused (kept as sent). */
      readonly unused: number;
      readonly original: Uint8Array;
    }
  | {
      readonly kind: 'other';
      /** Any type but 0, 3, 8 and 11, which have their own kinds. */
      readonly type: number;
      readonly code: number;
      /** Bytes 4..7 as uint32. */
      readonly rest: number;
      readonly data: Uint8Array;
    };

/** A view of an ICMPv4 message. */
export class Icmpv4Packet {
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  // One view kept alive so the hidden class (and code built on it) survives full GCs: view-shapes.ts.
  static {
    keepShape(new Icmpv4Packet(ANCHOR_BYTES));
  }

  static unchecked(bytes: Uint8Array): Icmpv4Packet {
    return new Icmpv4Packet(bytes);
  }

  /** Fails with `truncated` below the 8-byte header. */
  static checked(bytes: Uint8Array): Decoded<Icmpv4Packet> {
    if (bytes.length < ICMPV4_HEADER_LENGTH) {
      return decodeFailed(
        'truncated',
        `ICMP message of ${bytes.length} bytes is shorter than the 8-byte header`,
        bytes.length,
      );
    }
    return decoded(new Icmpv4Packet(bytes));
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
  /** Bytes 4..7 as uint32 (the rest-of-header). */
  get rest(): number {
    return readU32(this.bytes, 4);
  }
  /** Echo identifier (bytes 4..5). */
  get identifier(): number {
    return readU16(this.bytes, 4);
  }
  /** Echo sequence number (bytes 6..7). */
  get sequenceNumber(): number {
    return readU16(this.bytes, 6);
  }
  /** Next-hop MTU of Fragmentation Needed (bytes 6..7). */
  get nextHopMtu(): number {
    return readU16(this.bytes, 6);
  }
  /** The body after the 8-byte header: echo data or the quoted datagram (a view). */
  get payload(): Uint8Array {
    return this.bytes.subarray(ICMPV4_HEADER_LENGTH);
  }
  verifyChecksum(): boolean {
    return verifyInternetChecksum(this.bytes);
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
  /** Computes the checksum over the whole message and writes it in place. */
  fillChecksum(): void {
    writeU16(this.bytes, 2, 0);
    writeU16(this.bytes, 2, finishChecksum(onesComplementSum(this.bytes)));
  }
}

function bodyOf(message: Icmpv4Message): Uint8Array {
  switch (message.kind) {
    case 'echo-request':
    case 'echo-reply':
    case 'other':
      return message.data;
    case 'destination-unreachable':
    case 'time-exceeded':
      return message.original;
  }
}

/** The message length: 8 plus the body. */
export function icmpv4MessageLength(message: Icmpv4Message): number {
  return ICMPV4_HEADER_LENGTH + bodyOf(message).length;
}

/**
 * Parses an ICMPv4 message (the whole IP payload): `truncated` below 8 bytes,
 * `bad-checksum` unless `verifyChecksum` is false.
 */
export function parseIcmpv4(
  bytes: Uint8Array,
  options: { readonly verifyChecksum?: boolean } = {},
): Decoded<Icmpv4Message> {
  const result = Icmpv4Packet.checked(bytes);
  if (!result.ok) return result;
  const packet = result.value;
  if (options.verifyChecksum !== false && !packet.verifyChecksum()) {
    return decodeFailed(
      'bad-checksum',
      `ICMP checksum 0x${packet.checksum.toString(16).padStart(4, '0')} does not verify`,
      2,
    );
  }
  const code = packet.code;
  switch (packet.type) {
    case Icmpv4Type.EchoRequest:
    case Icmpv4Type.EchoReply:
      return decoded({
        kind: packet.type === Icmpv4Type.EchoRequest ? 'echo-request' : 'echo-reply',
        code,
        identifier: packet.identifier,
        sequenceNumber: packet.sequenceNumber,
        data: packet.payload,
      });
    case Icmpv4Type.DestinationUnreachable:
      return decoded({
        kind: 'destination-unreachable',
        code,
        unused: packet.identifier,
        nextHopMtu: packet.nextHopMtu,
        original: packet.payload,
      });
    case Icmpv4Type.TimeExceeded:
      return decoded({
        kind: 'time-exceeded',
        code,
        unused: packet.rest,
        original: packet.payload,
      });
    default:
      return decoded({
        kind: 'other',
        type: packet.type,
        code,
        rest: packet.rest,
        data: packet.payload,
      });
  }
}

/**
 * Writes the whole message at `offset`, computing its checksum, and returns
 * the bytes written. Throws `RangeError` if it does not fit.
 */
export function emitIcmpv4(message: Icmpv4Message, into: Uint8Array, offset = 0): number {
  const length = icmpv4MessageLength(message);
  if (offset < 0 || offset + length > into.length) {
    throw new RangeError(
      `Cannot emit a ${length}-byte ICMP message at offset ${offset}: buffer is ${into.length} bytes`,
    );
  }
  const packet = Icmpv4Packet.unchecked(into.subarray(offset, offset + length));
  packet.setCode(message.code);
  switch (message.kind) {
    case 'echo-request':
    case 'echo-reply':
      packet.setType(
        message.kind === 'echo-request' ? Icmpv4Type.EchoRequest : Icmpv4Type.EchoReply,
      );
      packet.setIdentifier(message.identifier);
      packet.setSequenceNumber(message.sequenceNumber);
      break;
    case 'destination-unreachable':
      packet.setType(Icmpv4Type.DestinationUnreachable);
      packet.setIdentifier(message.unused);
      packet.setSequenceNumber(message.nextHopMtu);
      break;
    case 'time-exceeded':
      packet.setType(Icmpv4Type.TimeExceeded);
      packet.setRest(message.unused);
      break;
    case 'other':
      packet.setType(message.type);
      packet.setRest(message.rest);
      break;
  }
  // Deliberate copy: the body goes into the message being built.
  packet.bytes.set(bodyOf(message), ICMPV4_HEADER_LENGTH);
  packet.fillChecksum();
  return length;
}

/**
 * How much of `datagram` (an IPv4 datagram, header first) to quote in an
 * error message so the whole ICMP error fits in 576 bytes (RFC 1812
 * §4.3.2.3): at most 576 − 20 (IP header) − 8 (ICMP header). A view.
 */
export function quoteIpv4Datagram(datagram: Uint8Array, limit = 548): Uint8Array {
  return datagram.subarray(0, Math.min(datagram.length, limit));
}
