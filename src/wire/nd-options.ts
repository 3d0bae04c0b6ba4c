/**
 * Neighbor Discovery options (RFC 4861 §4.6) as plain values: parsing, the
 * bytes they take, and emitting. An option of length zero is `bad-option`;
 * options not decoded here, or known ones of an unexpected length, are kept
 * raw as `other`.
 */
import { decodeFailed, decoded, type Decoded } from './result.js';

/** ND option types (RFC 4861 §4.6; RFC 8106 and others for the rest). */
export const NdOptionType = {
  SourceLinkLayerAddress: 1,
  TargetLinkLayerAddress: 2,
  PrefixInformation: 3,
  RedirectedHeader: 4,
  Mtu: 5,
} as const;

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
