/**
 * IPv6 fixed headers (RFC 8200 §3) and the walk over extension headers
 * (RFC 8200 §4) that finds the upper-layer protocol.
 *
 * The payload is Payload Length bytes after the 40-byte header; bytes after it
 * are link padding and are ignored, and a buffer shorter than that is
 * `truncated`. Jumbograms (Payload Length 0 with a Jumbo option, RFC 2675) are
 * not supported: their payload reads as empty.
 *
 * Extension headers walked: Hop-by-Hop (0, first only), Routing (43),
 * Fragment (44), Destination Options (60), Authentication Header (51, length in
 * 4-byte units, RFC 4302 §2.2) and No Next Header (59). Anything else ends the
 * walk and is the upper layer (ESP included: what follows it is encrypted).
 * A Fragment header with a non-zero offset also ends the walk: what follows it
 * is the middle of a payload, not a header.
 *
 * This file holds the fixed header (view, parse, emit); the extension-header
 * walk is in ipv6-extensions.ts and the address helpers in ipv6-address.ts,
 * re-exported here so one import serves all of IPv6.
 */
import { decodeFailed, decoded, type Decoded } from './result.js';
import { readU16, readU32, writeU16, writeU32 } from './big-endian.js';
import { ANCHOR_BYTES, keepShape } from './view-shapes.js';
import { IPV6_MAX_EXTENSION_HEADERS, walkIpv6ExtensionsPacked } from './ipv6-extensions.js';

export {
  IPV6_MAX_EXTENSION_HEADERS,
  isIpv6ExtensionHeader,
  walkIpv6Extensions,
  type Ipv6ExtensionHeader,
  type Ipv6ExtensionWalk,
  type Ipv6FragmentInfo,
} from './ipv6-extensions.js';
export {
  formatIpv6Address,
  ipv6AddressEquals,
  ipv6MulticastMac,
  isIpv6LinkLocal,
  isIpv6Multicast,
  isIpv6SolicitedNode,
  isIpv6Unspecified,
  parseIpv6Address,
  solicitedNodeMulticast,
} from './ipv6-address.js';

export const IPV6_HEADER_LENGTH = 40;

/** An IPv6 fixed header as a plain value. Addresses are 16-byte views into the input. */
export interface Ipv6Header {
  readonly trafficClass: number;
  /** 20 bits. */
  readonly flowLabel: number;
  /** Bytes after the fixed header, extension headers included. */
  readonly payloadLength: number;
  readonly nextHeader: number;
  readonly hopLimit: number;
  readonly sourceAddress: Uint8Array;
  readonly destinationAddress: Uint8Array;
}

/** A view of an IPv6 packet. */
export class Ipv6Packet {
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  // One view kept alive so the hidden class (and code built on it) survives full GCs: view-shapes.ts.
  static {
    keepShape(new Ipv6Packet(ANCHOR_BYTES));
  }

  static unchecked(bytes: Uint8Array): Ipv6Packet {
    return new Ipv6Packet(bytes);
  }

  /** Fails with `truncated` unless the fixed header and Payload Length bytes are present. */
  static checked(bytes: Uint8Array): Decoded<Ipv6Packet> {
    if (bytes.length < IPV6_HEADER_LENGTH) {
      return decodeFailed(
        'truncated',
        `IPv6 packet of ${bytes.length} bytes is shorter than the 40-byte header`,
        bytes.length,
      );
    }
    const packet = new Ipv6Packet(bytes);
    if (IPV6_HEADER_LENGTH + packet.payloadLength > bytes.length) {
      return decodeFailed(
        'truncated',
        `IPv6 payload of ${packet.payloadLength} bytes is cut off at ${bytes.length - IPV6_HEADER_LENGTH}`,
        bytes.length,
      );
    }
    return decoded(packet);
  }

  get version(): number {
    return (this.bytes[0] as number) >> 4;
  }
  get trafficClass(): number {
    return (readU16(this.bytes, 0) >> 4) & 0xff;
  }
  get flowLabel(): number {
    return readU32(this.bytes, 0) & 0xfffff;
  }
  get payloadLength(): number {
    return readU16(this.bytes, 4);
  }
  get nextHeader(): number {
    return this.bytes[6] as number;
  }
  get hopLimit(): number {
    return this.bytes[7] as number;
  }
  /** 16-byte view. */
  get sourceAddress(): Uint8Array {
    return this.bytes.subarray(8, 24);
  }
  /** 16-byte view. */
  get destinationAddress(): Uint8Array {
    return this.bytes.subarray(24, 40);
  }
  /** Payload Length bytes after the fixed header (a view; padding left out). */
  get payload(): Uint8Array {
    return this.bytes.subarray(IPV6_HEADER_LENGTH, IPV6_HEADER_LENGTH + this.payloadLength);
  }
  /**
   * The upper-layer protocol after any extension headers, or -1 if the chain
   * is malformed. Walks the chain without allocating.
   */
  get upperLayerProtocol(): number {
    const packed = this.walk();
    return packed < 0 ? -1 : packed % 256;
  }
  /** Offset of the upper-layer data from the start of the packet, or -1. Does not allocate. */
  get upperLayerOffset(): number {
    const packed = this.walk();
    return packed < 0 ? -1 : Math.floor(packed / 256);
  }
  private walk(): number {
    const end = Math.min(IPV6_HEADER_LENGTH + this.payloadLength, this.bytes.length);
    return walkIpv6ExtensionsPacked(
      this.nextHeader,
      this.bytes,
      IPV6_HEADER_LENGTH,
      end,
      IPV6_MAX_EXTENSION_HEADERS,
    );
  }

  /** Sets version 6, traffic class and flow label (the first 32 bits). */
  setVersionClassFlow(trafficClass: number, flowLabel: number): void {
    writeU32(
      this.bytes,
      0,
      ((6 << 28) | ((trafficClass & 0xff) << 20) | (flowLabel & 0xfffff)) >>> 0,
    );
  }
  setPayloadLength(value: number): void {
    writeU16(this.bytes, 4, value);
  }
  setNextHeader(value: number): void {
    this.bytes[6] = value;
  }
  setHopLimit(value: number): void {
    this.bytes[7] = value;
  }
  setSourceAddress(address: Uint8Array): void {
    this.bytes.set(address.subarray(0, 16), 8);
  }
  setDestinationAddress(address: Uint8Array): void {
    this.bytes.set(address.subarray(0, 16), 24);
  }
}

/** Always 40: extension headers belong to the payload. */
export function ipv6HeaderLength(_header?: Ipv6Header): number {
  return IPV6_HEADER_LENGTH;
}

/**
 * Parses an IPv6 fixed header: lengths as `Ipv6Packet.checked`, then the
 * version (`bad-version`). `payload` is Payload Length bytes; walk it with
 * `walkIpv6Extensions(header.nextHeader, payload)`.
 */
export function parseIpv6(bytes: Uint8Array): Decoded<{ header: Ipv6Header; payload: Uint8Array }> {
  const result = Ipv6Packet.checked(bytes);
  if (!result.ok) return result;
  const packet = result.value;
  if (packet.version !== 6) {
    return decodeFailed('bad-version', `IP version ${packet.version} is not 6`, 0);
  }
  return decoded({
    header: {
      trafficClass: packet.trafficClass,
      flowLabel: packet.flowLabel,
      payloadLength: packet.payloadLength,
      nextHeader: packet.nextHeader,
      hopLimit: packet.hopLimit,
      sourceAddress: packet.sourceAddress,
      destinationAddress: packet.destinationAddress,
    },
    payload: packet.payload,
  });
}

/** Writes the 40-byte fixed header at `offset`; throws `RangeError` if it does not fit or an address is not 16 bytes. */
export function emitIpv6(header: Ipv6Header, into: Uint8Array, offset = 0): number {
  if (header.sourceAddress.length !== 16 || header.destinationAddress.length !== 16) {
    throw new RangeError('Cannot emit an IPv6 header: addresses must be 16 bytes');
  }
  if (offset < 0 || offset + IPV6_HEADER_LENGTH > into.length) {
    throw new RangeError(
      `Cannot emit a 40-byte IPv6 header at offset ${offset}: buffer is ${into.length} bytes`,
    );
  }
  const packet = Ipv6Packet.unchecked(into.subarray(offset, offset + IPV6_HEADER_LENGTH));
  packet.setVersionClassFlow(header.trafficClass, header.flowLabel);
  packet.setPayloadLength(header.payloadLength);
  packet.setNextHeader(header.nextHeader);
  packet.setHopLimit(header.hopLimit);
  packet.setSourceAddress(header.sourceAddress);
  packet.setDestinationAddress(header.destinationAddress);
  return IPV6_HEADER_LENGTH;
}
