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
 *
 * This file holds the messages as plain values (parse, emit, length); the
 * view and type numbers are in icmpv6-packet.ts and the ND options in
 * nd-options.ts, re-exported here so one import serves all of ICMPv6.
 */
import { decodeFailed, decoded, type Decoded } from './result.js';
import {
  ICMPV6_HEADER_LENGTH,
  Icmpv6Packet,
  Icmpv6Type,
  icmpv6FixedLength,
} from './icmpv6-packet.js';
import { emitNdOptions, ndOptionsLength, parseNdOptions, type NdOption } from './nd-options.js';

export {
  ICMPV6_HEADER_LENGTH,
  Icmpv6Packet,
  Icmpv6Type,
  Icmpv6UnreachableCode,
} from './icmpv6-packet.js';
export {
  NdOptionType,
  emitNdOptions,
  ndOptionsLength,
  parseNdOptions,
  type NdOption,
} from './nd-options.js';

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
      const fixed = icmpv6FixedLength(type);
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
