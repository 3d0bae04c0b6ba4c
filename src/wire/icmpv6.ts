/**
 * ICMPv6 (RFC 4443) and Neighbor Discovery (RFC 4861 §4).
 *
 * Every message is Type, Code, Checksum and at least four more bytes (RFC
 * 4443 §2.1), so anything shorter than 8 bytes is `truncated`. The kinds
 * decoded: echo (128/129, §4), destination unreachable (1, §3.1), packet too
 * big (2, §3.2), time exceeded (3, §3.3), parameter problem (4, §3.4), and
 * the ND messages router solicitation (133), router advertisement (134),
 * neighbor solicitation (135), neighbor advertisement (136, flags R/S/O) and
 * redirect (137), with their options (RFC 4861 §4.6). Other types are kept
 * raw. An ND option of length zero makes the whole message invalid
 * (`bad-option`, RFC 4861 §4.6); options this module does not decode, or
 * known ones of an unexpected length, are kept raw.
 *
 * The checksum covers an IPv6 pseudo-header (RFC 8200 §8.1) and the whole
 * message, so the message objects have no checksum field: `emitIcmpv6`
 * computes it from the addresses it is given, and `parseIcmpv6` verifies it
 * when given them (`bad-checksum`). The message ends where the IPv6 payload
 * (after extension headers) ends.
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

/** ND option types (RFC 4861 §4.6; RFC 8106 and others for the rest). */
export const NdOptionType = {
  SourceLinkLayerAddress: 1,
  TargetLinkLayerAddress: 2,
  PrefixInformation: 3,
  RedirectedHeader: 4,
  Mtu: 5,
} as const;

export const ICMPV6_HEADER_LENGTH = 8;

/** One ND option as a plain value. Byte fields are views into the input. */
export type NdOption =
  | {
      readonly kind: 'source-link-layer-address' | 'target-link-layer-address';
      /** The option body (length × 8 − 2 bytes): 6 bytes for Ethernet. */
      readonly address: Uint8Array;
    }
  | {
      readonly kind: 'prefix-information';
      readonly prefixLength: number;
      /** L flag. */
      readonly onLink: boolean;
      /** A flag. */
      readonly autonomous: boolean;
      /** The six low bits after L and A (Reserved1, R flag of RFC 6275 included). */
      readonly reservedFlags: number;
      readonly validLifetime: number;
      readonly preferredLifetime: number;
      /** Reserved2, as sent. */
      readonly reserved: number;
      /** 16 bytes. */
      readonly prefix: Uint8Array;
    }
  | { readonly kind: 'mtu'; readonly reserved: number; readonly mtu: number }
  | {
      readonly kind: 'other';
      readonly type: number;
      /** The option body after type and length (length × 8 − 2 bytes). */
      readonly data: Uint8Array;
    };

/** ICMPv6 messages as plain values. Byte fields are views into the input. */
export type Icmpv6Message =
  | {
      readonly kind: 'echo-request' | 'echo-reply';
      readonly code: number;
      readonly identifier: number;
      readonly sequenceNumber: number;
      readonly data: Uint8Array;
    }
  | {
      readonly kind: 'destination-unreachable' | 'time-exceeded';
      readonly code: number;
      /** Bytes 4..7, unused (kept as sent). */
      readonly unused: number;
      /** As much of the invoking packet as fits in the minimum MTU. */
      readonly original: Uint8Array;
    }
  | {
      readonly kind: 'packet-too-big';
      readonly code: number;
      readonly mtu: number;
      readonly original: Uint8Array;
    }
  | {
      readonly kind: 'parameter-problem';
      readonly code: number;
      readonly pointer: number;
      readonly original: Uint8Array;
    }
  | {
      readonly kind: 'router-solicitation';
      readonly code: number;
      readonly reserved: number;
      readonly options: readonly NdOption[];
    }
  | {
      readonly kind: 'router-advertisement';
      readonly code: number;
      readonly currentHopLimit: number;
      /** M flag. */
      readonly managed: boolean;
      /** O flag. */
      readonly other: boolean;
      /** The six low flag bits (H, Prf, P and reserved), as sent. */
      readonly reservedFlags: number;
      readonly routerLifetime: number;
      readonly reachableTime: number;
      readonly retransTimer: number;
      readonly options: readonly NdOption[];
    }
  | {
      readonly kind: 'neighbor-solicitation';
      readonly code: number;
      readonly reserved: number;
      readonly targetAddress: Uint8Array;
      readonly options: readonly NdOption[];
    }
  | {
      readonly kind: 'neighbor-advertisement';
      readonly code: number;
      /** R flag. */
      readonly router: boolean;
      /** S flag. */
      readonly solicited: boolean;
      /** O flag. */
      readonly override: boolean;
      /** The 29 reserved bits after the flags, as sent. */
      readonly reserved: number;
      readonly targetAddress: Uint8Array;
      readonly options: readonly NdOption[];
    }
  | {
      readonly kind: 'redirect';
      readonly code: number;
      readonly reserved: number;
      readonly targetAddress: Uint8Array;
      readonly destinationAddress: Uint8Array;
      readonly options: readonly NdOption[];
    }
  | {
      readonly kind: 'other';
      /** Any type without its own kind. */
      readonly type: number;
      readonly code: number;
      /** Everything after the checksum (a view). */
      readonly body: Uint8Array;
    };

/** Fixed length (before options or body) of the messages that have one; 8 for the rest. */
function fixedLength(type: number): number {
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
    const need = fixedLength(bytes[0] as number);
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
    return this.bytes.subarray(fixedLength(this.type));
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

// --- ND options ----------------------------------------------------------

/**
 * Reads ND options (RFC 4861 §4.6): `bad-option` for a zero length,
 * `truncated` for an option that runs past the bytes.
 */
export function parseNdOptions(bytes: Uint8Array): Decoded<NdOption[]> {
  const list: NdOption[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 2 > bytes.length) {
      return decodeFailed('truncated', `ND option at offset ${at} is cut off`, at);
    }
    const type = bytes[at] as number;
    const units = bytes[at + 1] as number;
    if (units === 0) {
      return decodeFailed('bad-option', `ND option ${type} at offset ${at} has length zero`, at);
    }
    const length = units * 8;
    if (at + length > bytes.length) {
      return decodeFailed(
        'truncated',
        `ND option ${type} of ${length} bytes at offset ${at} is cut off at ${bytes.length} bytes`,
        at,
      );
    }
    const body = bytes.subarray(at + 2, at + length);
    list.push(ndOption(type, body));
    at += length;
  }
  return decoded(list);
}

function ndOption(type: number, body: Uint8Array): NdOption {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  switch (type) {
    case NdOptionType.SourceLinkLayerAddress:
      return { kind: 'source-link-layer-address', address: body };
    case NdOptionType.TargetLinkLayerAddress:
      return { kind: 'target-link-layer-address', address: body };
    case NdOptionType.PrefixInformation:
      if (body.length !== 30) break;
      return {
        kind: 'prefix-information',
        prefixLength: body[0] as number,
        onLink: ((body[1] as number) & 0x80) !== 0,
        autonomous: ((body[1] as number) & 0x40) !== 0,
        reservedFlags: (body[1] as number) & 0x3f,
        validLifetime: view.getUint32(2),
        preferredLifetime: view.getUint32(6),
        reserved: view.getUint32(10),
        prefix: body.subarray(14, 30),
      };
    case NdOptionType.Mtu:
      if (body.length !== 6) break;
      return { kind: 'mtu', reserved: view.getUint16(0), mtu: view.getUint32(2) };
    default:
      break;
  }
  return { kind: 'other', type, data: body };
}

function ndOptionBodyLength(option: NdOption): number {
  switch (option.kind) {
    case 'source-link-layer-address':
    case 'target-link-layer-address':
      return option.address.length;
    case 'prefix-information':
      return 30;
    case 'mtu':
      return 6;
    case 'other':
      return option.data.length;
  }
}

/** Bytes `options` take on the wire. Throws `RangeError` if a body does not make a whole number of 8-byte units (up to 255). */
export function ndOptionsLength(options: readonly NdOption[]): number {
  let total = 0;
  for (const option of options) {
    const length = ndOptionBodyLength(option) + 2;
    if (length % 8 !== 0 || length > 255 * 8) {
      throw new RangeError(
        `Cannot emit an ND option of ${length} bytes: need a multiple of 8 up to 2040`,
      );
    }
    total += length;
  }
  return total;
}

/** Writes `options` at `offset` of `into`, which must have room; returns the bytes written. */
export function emitNdOptions(options: readonly NdOption[], into: Uint8Array, offset = 0): number {
  const total = ndOptionsLength(options);
  if (offset < 0 || offset + total > into.length) {
    throw new RangeError(
      `Cannot emit ${total} bytes of ND options at offset ${offset}: buffer is ${into.length} bytes`,
    );
  }
  const view = new DataView(into.buffer, into.byteOffset, into.byteLength);
  let at = offset;
  for (const option of options) {
    const length = ndOptionBodyLength(option) + 2;
    into[at + 1] = length / 8;
    const body = at + 2;
    switch (option.kind) {
      case 'source-link-layer-address':
      case 'target-link-layer-address':
        into[at] =
          option.kind === 'source-link-layer-address'
            ? NdOptionType.SourceLinkLayerAddress
            : NdOptionType.TargetLinkLayerAddress;
        into.set(option.address, body);
        break;
      case 'prefix-information':
        into[at] = NdOptionType.PrefixInformation;
        into[body] = option.prefixLength;
        into[body + 1] =
          (option.onLink ? 0x80 : 0) |
          (option.autonomous ? 0x40 : 0) |
          (option.reservedFlags & 0x3f);
        view.setUint32(body + 2, option.validLifetime >>> 0);
        view.setUint32(body + 6, option.preferredLifetime >>> 0);
        view.setUint32(body + 10, option.reserved >>> 0);
        into.set(option.prefix.subarray(0, 16), body + 14);
        break;
      case 'mtu':
        into[at] = NdOptionType.Mtu;
        view.setUint16(body, option.reserved);
        view.setUint32(body + 2, option.mtu >>> 0);
        break;
      case 'other':
        into[at] = option.type;
        into.set(option.data, body);
        break;
    }
    at += length;
  }
  return total;
}

// --- Messages ------------------------------------------------------------

/** The message length on the wire. Throws `RangeError` for ND options that cannot be emitted. */
export function icmpv6MessageLength(message: Icmpv6Message): number {
  switch (message.kind) {
    case 'echo-request':
    case 'echo-reply':
      return ICMPV6_HEADER_LENGTH + message.data.length;
    case 'destination-unreachable':
    case 'time-exceeded':
    case 'packet-too-big':
    case 'parameter-problem':
      return ICMPV6_HEADER_LENGTH + message.original.length;
    case 'router-solicitation':
      return 8 + ndOptionsLength(message.options);
    case 'router-advertisement':
      return 16 + ndOptionsLength(message.options);
    case 'neighbor-solicitation':
    case 'neighbor-advertisement':
      return 24 + ndOptionsLength(message.options);
    case 'redirect':
      return 40 + ndOptionsLength(message.options);
    case 'other':
      if (message.body.length < 4) {
        throw new RangeError(
          'Cannot emit an ICMPv6 message: the body after the checksum must be at least 4 bytes',
        );
      }
      return 4 + message.body.length;
  }
}

/** The source and destination addresses of the IPv6 packet, for the pseudo-header. */
export interface Icmpv6Addresses {
  readonly sourceAddress: Uint8Array;
  readonly destinationAddress: Uint8Array;
}

/**
 * Parses an ICMPv6 message (the upper-layer data of the IPv6 packet):
 * `truncated` below its fixed part; `bad-checksum` when `addresses` are given
 * and the checksum does not verify; ND option failures as `parseNdOptions`.
 */
export function parseIcmpv6(
  bytes: Uint8Array,
  addresses?: Icmpv6Addresses,
): Decoded<Icmpv6Message> {
  const result = Icmpv6Packet.checked(bytes);
  if (!result.ok) return result;
  const packet = result.value;
  if (
    addresses !== undefined &&
    !packet.verifyChecksum(addresses.sourceAddress, addresses.destinationAddress)
  ) {
    return decodeFailed(
      'bad-checksum',
      `ICMPv6 checksum 0x${packet.checksum.toString(16).padStart(4, '0')} does not verify`,
      2,
    );
  }
  const code = packet.code;
  const type = packet.type;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (type) {
    case Icmpv6Type.EchoRequest:
    case Icmpv6Type.EchoReply:
      return decoded({
        kind: type === Icmpv6Type.EchoRequest ? 'echo-request' : 'echo-reply',
        code,
        identifier: packet.identifier,
        sequenceNumber: packet.sequenceNumber,
        data: bytes.subarray(8),
      });
    case Icmpv6Type.DestinationUnreachable:
    case Icmpv6Type.TimeExceeded:
      return decoded({
        kind: type === Icmpv6Type.TimeExceeded ? 'time-exceeded' : 'destination-unreachable',
        code,
        unused: packet.rest,
        original: bytes.subarray(8),
      });
    case Icmpv6Type.PacketTooBig:
      return decoded({
        kind: 'packet-too-big',
        code,
        mtu: packet.rest,
        original: bytes.subarray(8),
      });
    case Icmpv6Type.ParameterProblem:
      return decoded({
        kind: 'parameter-problem',
        code,
        pointer: packet.rest,
        original: bytes.subarray(8),
      });
    case Icmpv6Type.RouterSolicitation:
    case Icmpv6Type.RouterAdvertisement:
    case Icmpv6Type.NeighborSolicitation:
    case Icmpv6Type.NeighborAdvertisement:
    case Icmpv6Type.Redirect: {
      const fixed = fixedLength(type);
      const options = parseNdOptions(bytes.subarray(fixed));
      if (!options.ok) {
        const failure = options.failure;
        return decodeFailed(failure.code, failure.message, (failure.offset ?? 0) + fixed);
      }
      const list = options.value;
      switch (type) {
        case Icmpv6Type.RouterSolicitation:
          return decoded({
            kind: 'router-solicitation',
            code,
            reserved: packet.rest,
            options: list,
          });
        case Icmpv6Type.RouterAdvertisement: {
          const flags = bytes[5] as number;
          return decoded({
            kind: 'router-advertisement',
            code,
            currentHopLimit: bytes[4] as number,
            managed: (flags & 0x80) !== 0,
            other: (flags & 0x40) !== 0,
            reservedFlags: flags & 0x3f,
            routerLifetime: view.getUint16(6),
            reachableTime: view.getUint32(8),
            retransTimer: view.getUint32(12),
            options: list,
          });
        }
        case Icmpv6Type.NeighborSolicitation:
          return decoded({
            kind: 'neighbor-solicitation',
            code,
            reserved: packet.rest,
            targetAddress: packet.targetAddress,
            options: list,
          });
        case Icmpv6Type.NeighborAdvertisement:
          return decoded({
            kind: 'neighbor-advertisement',
            code,
            router: packet.routerFlag,
            solicited: packet.solicitedFlag,
            override: packet.overrideFlag,
            reserved: packet.rest & 0x1fffffff,
            targetAddress: packet.targetAddress,
            options: list,
          });
        default:
          return decoded({
            kind: 'redirect',
            code,
            reserved: packet.rest,
            targetAddress: packet.targetAddress,
            destinationAddress: bytes.subarray(24, 40),
            options: list,
          });
      }
    }
    default:
      return decoded({ kind: 'other', type, code, body: bytes.subarray(4) });
  }
}

function typeOf(message: Icmpv6Message): number {
  switch (message.kind) {
    case 'echo-request':
      return Icmpv6Type.EchoRequest;
    case 'echo-reply':
      return Icmpv6Type.EchoReply;
    case 'destination-unreachable':
      return Icmpv6Type.DestinationUnreachable;
    case 'time-exceeded':
      return Icmpv6Type.TimeExceeded;
    case 'packet-too-big':
      return Icmpv6Type.PacketTooBig;
    case 'parameter-problem':
      return Icmpv6Type.ParameterProblem;
    case 'router-solicitation':
      return Icmpv6Type.RouterSolicitation;
    case 'router-advertisement':
      return Icmpv6Type.RouterAdvertisement;
    case 'neighbor-solicitation':
      return Icmpv6Type.NeighborSolicitation;
    case 'neighbor-advertisement':
      return Icmpv6Type.NeighborAdvertisement;
    case 'redirect':
      return Icmpv6Type.Redirect;
    case 'other':
      return message.type;
  }
}

function requireAddress(address: Uint8Array, what: string): Uint8Array {
  if (address.length !== 16) {
    throw new RangeError(`Cannot emit an ICMPv6 message: ${what} must be 16 bytes`);
  }
  return address;
}

/**
 * Writes the whole message at `offset`, computing the checksum over the
 * pseudo-header of `addresses`, and returns the bytes written. Throws
 * `RangeError` if it does not fit or an address or option is malformed.
 */
export function emitIcmpv6(
  message: Icmpv6Message,
  addresses: Icmpv6Addresses,
  into: Uint8Array,
  offset = 0,
): number {
  const length = icmpv6MessageLength(message);
  if (offset < 0 || offset + length > into.length) {
    throw new RangeError(
      `Cannot emit a ${length}-byte ICMPv6 message at offset ${offset}: buffer is ${into.length} bytes`,
    );
  }
  const bytes = into.subarray(offset, offset + length);
  const packet = Icmpv6Packet.unchecked(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  packet.setType(typeOf(message));
  packet.setCode(message.code);
  switch (message.kind) {
    case 'echo-request':
    case 'echo-reply':
      packet.setIdentifier(message.identifier);
      packet.setSequenceNumber(message.sequenceNumber);
      bytes.set(message.data, 8);
      break;
    case 'destination-unreachable':
    case 'time-exceeded':
      packet.setRest(message.unused);
      bytes.set(message.original, 8);
      break;
    case 'packet-too-big':
      packet.setRest(message.mtu);
      bytes.set(message.original, 8);
      break;
    case 'parameter-problem':
      packet.setRest(message.pointer);
      bytes.set(message.original, 8);
      break;
    case 'router-solicitation':
      packet.setRest(message.reserved);
      emitNdOptions(message.options, bytes, 8);
      break;
    case 'router-advertisement':
      bytes[4] = message.currentHopLimit;
      bytes[5] =
        (message.managed ? 0x80 : 0) | (message.other ? 0x40 : 0) | (message.reservedFlags & 0x3f);
      view.setUint16(6, message.routerLifetime);
      view.setUint32(8, message.reachableTime >>> 0);
      view.setUint32(12, message.retransTimer >>> 0);
      emitNdOptions(message.options, bytes, 16);
      break;
    case 'neighbor-solicitation':
      packet.setRest(message.reserved);
      packet.setTargetAddress(requireAddress(message.targetAddress, 'the target address'));
      emitNdOptions(message.options, bytes, 24);
      break;
    case 'neighbor-advertisement':
      packet.setRest(
        (message.router ? 0x80000000 : 0) +
          (message.solicited ? 0x40000000 : 0) +
          (message.override ? 0x20000000 : 0) +
          (message.reserved & 0x1fffffff),
      );
      packet.setTargetAddress(requireAddress(message.targetAddress, 'the target address'));
      emitNdOptions(message.options, bytes, 24);
      break;
    case 'redirect':
      packet.setRest(message.reserved);
      packet.setTargetAddress(requireAddress(message.targetAddress, 'the target address'));
      bytes.set(requireAddress(message.destinationAddress, 'the destination address'), 24);
      emitNdOptions(message.options, bytes, 40);
      break;
    case 'other':
      bytes.set(message.body, 4);
      break;
  }
  packet.fillChecksum(
    requireAddress(addresses.sourceAddress, 'the source address'),
    requireAddress(addresses.destinationAddress, 'the destination address'),
  );
  return length;
}
