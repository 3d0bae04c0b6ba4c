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
 * Address helpers parse text and format it as RFC 5952 recommends, and build
 * the solicited-node multicast address (RFC 4291 §2.7.1) and the Ethernet
 * address a multicast maps to (RFC 2464 §7).
 */
import { IpProtocol } from './ip-protocol.js';
import { decodeFailed, decoded, type Decoded } from './result.js';
import { readU16, readU32, writeU16, writeU32 } from './big-endian.js';
import { ANCHOR_BYTES, keepShape } from './view-shapes.js';

export const IPV6_HEADER_LENGTH = 40;
/** Default bound on extension headers walked; each is at least 8 bytes, so this bounds work, not memory. */
export const IPV6_MAX_EXTENSION_HEADERS = 16;

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

/** One extension header met by the walk. */
export interface Ipv6ExtensionHeader {
  /** Which header this is: the Next Header value that announced it (0, 43, 44, 51, 60). */
  readonly type: number;
  /** The Next Header field inside it. */
  readonly nextHeader: number;
  /** Offset of the header within the bytes walked. */
  readonly offset: number;
  /** The whole header, its first two bytes included (a view). */
  readonly bytes: Uint8Array;
}

/** The Fragment header's fields (RFC 8200 §4.5). */
export interface Ipv6FragmentInfo {
  /** In units of 8 bytes. */
  readonly fragmentOffset: number;
  readonly moreFragments: boolean;
  readonly identification: number;
}

/** What the extension-header walk found. */
export interface Ipv6ExtensionWalk {
  readonly headers: readonly Ipv6ExtensionHeader[];
  /** The protocol after the last extension header (59 when there is none). */
  readonly upperLayerProtocol: number;
  /** Where the upper-layer data starts within the bytes walked. */
  readonly upperLayerOffset: number;
  /** Present when a Fragment header was met. */
  readonly fragment: Ipv6FragmentInfo | undefined;
}

/** Whether `value` is an extension header this walk knows how to step over. */
export function isIpv6ExtensionHeader(value: number): boolean {
  return (
    value === IpProtocol.HopByHop ||
    value === IpProtocol.Ipv6Route ||
    value === IpProtocol.Ipv6Fragment ||
    value === IpProtocol.Ipv6DestinationOptions ||
    value === IpProtocol.Ah
  );
}

/** The length in bytes of the extension header of `type` whose length octet is `lengthOctet`. */
function extensionLength(type: number, lengthOctet: number): number {
  if (type === IpProtocol.Ipv6Fragment) return 8;
  if (type === IpProtocol.Ah) return (lengthOctet + 2) * 4;
  return (lengthOctet + 1) * 8;
}

/**
 * Walks without allocating: returns `offset * 256 + protocol` of the upper
 * layer, or -1 when the chain is malformed or longer than `maxHeaders`.
 */
function walkPacked(
  first: number,
  bytes: Uint8Array,
  start: number,
  end: number,
  maxHeaders: number,
): number {
  let next = first;
  let at = start;
  for (let count = 0; isIpv6ExtensionHeader(next); count++) {
    if (count >= maxHeaders) return -1;
    if (next === IpProtocol.HopByHop && count !== 0) return -1;
    if (at + 8 > end) return -1;
    const type = next;
    const length = extensionLength(type, bytes[at + 1] as number);
    if (at + length > end) return -1;
    next = bytes[at] as number;
    if (type === IpProtocol.Ipv6Fragment) {
      const offsetField = (((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number)) >> 3;
      at += length;
      if (offsetField !== 0) break;
      continue;
    }
    at += length;
  }
  return at * 256 + next;
}

/**
 * Walks the extension headers of a packet whose fixed header announced
 * `nextHeader`, over `bytes` (normally the payload) from `start`. Fails with
 * `truncated` when a header runs past the bytes, `bad-extension-order` when
 * Hop-by-Hop is not first, and `too-many-extension-headers` past `maxHeaders`.
 */
export function walkIpv6Extensions(
  nextHeader: number,
  bytes: Uint8Array,
  start = 0,
  maxHeaders = IPV6_MAX_EXTENSION_HEADERS,
): Decoded<Ipv6ExtensionWalk> {
  const headers: Ipv6ExtensionHeader[] = [];
  let fragment: Ipv6FragmentInfo | undefined;
  let next = nextHeader;
  let at = start;
  while (isIpv6ExtensionHeader(next)) {
    if (headers.length >= maxHeaders) {
      return decodeFailed(
        'too-many-extension-headers',
        `IPv6 packet has more than ${maxHeaders} extension headers`,
        at,
      );
    }
    if (next === IpProtocol.HopByHop && headers.length !== 0) {
      return decodeFailed(
        'bad-extension-order',
        'IPv6 Hop-by-Hop Options header is not the first extension header',
        at,
      );
    }
    if (at + 8 > bytes.length) {
      return decodeFailed(
        'truncated',
        `IPv6 extension header ${next} at offset ${at} is cut off at ${bytes.length} bytes`,
        at,
      );
    }
    const type = next;
    const length = extensionLength(type, bytes[at + 1] as number);
    if (at + length > bytes.length) {
      return decodeFailed(
        'truncated',
        `IPv6 extension header ${type} of ${length} bytes at offset ${at} is cut off at ${bytes.length} bytes`,
        at,
      );
    }
    next = bytes[at] as number;
    headers.push({ type, nextHeader: next, offset: at, bytes: bytes.subarray(at, at + length) });
    if (type === IpProtocol.Ipv6Fragment) {
      const field = ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number);
      fragment = {
        fragmentOffset: field >> 3,
        moreFragments: (field & 1) === 1,
        identification:
          (((bytes[at + 4] as number) << 24) |
            ((bytes[at + 5] as number) << 16) |
            ((bytes[at + 6] as number) << 8) |
            (bytes[at + 7] as number)) >>>
          0,
      };
      at += length;
      if (fragment.fragmentOffset !== 0) break;
      continue;
    }
    at += length;
  }
  return decoded({ headers, upperLayerProtocol: next, upperLayerOffset: at, fragment });
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
    return walkPacked(
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

// --- Address helpers -----------------------------------------------------

function parseGroups(text: string, out: number[]): boolean {
  if (text === '') return true;
  for (const group of text.split(':')) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return false;
    out.push(parseInt(group, 16));
  }
  return true;
}

/**
 * Parses IPv6 text (RFC 4291 §2.2: full, `::`-compressed, or with a trailing
 * dotted quad) into 16 new bytes; undefined if it is not an address. Zone ids
 * (`%eth0`) are not addresses and are refused.
 */
export function parseIpv6Address(text: string): Uint8Array<ArrayBuffer> | undefined {
  let body = text;
  const tail: number[] = [];
  const lastColon = body.lastIndexOf(':');
  if (lastColon >= 0 && body.indexOf('.', lastColon) > lastColon) {
    const quad = body.slice(lastColon + 1).split('.');
    if (quad.length !== 4) return undefined;
    for (const part of quad) {
      if (!/^(0|[1-9][0-9]{0,2})$/.test(part) || Number(part) > 255) return undefined;
    }
    tail.push((Number(quad[0]) << 8) | Number(quad[1]), (Number(quad[2]) << 8) | Number(quad[3]));
    body = body.slice(0, lastColon + 1);
    // "::1.2.3.4" leaves "::"; "a:b::c:1.2.3.4" leaves "a:b::c:", whose trailing colon goes.
    if (body.endsWith(':') && !body.endsWith('::')) body = body.slice(0, -1);
  }
  const head: number[] = [];
  const back: number[] = [];
  const gap = body.indexOf('::');
  if (gap >= 0) {
    if (body.indexOf('::', gap + 1) >= 0) return undefined;
    if (!parseGroups(body.slice(0, gap), head) || !parseGroups(body.slice(gap + 2), back)) {
      return undefined;
    }
    back.push(...tail);
    if (head.length + back.length > 7) return undefined;
  } else {
    if (!parseGroups(body, head)) return undefined;
    head.push(...tail);
    if (head.length !== 8) return undefined;
  }
  const out = new Uint8Array(16);
  head.forEach((group, i) => {
    out[2 * i] = group >> 8;
    out[2 * i + 1] = group & 0xff;
  });
  const from = 8 - back.length;
  back.forEach((group, i) => {
    out[2 * (from + i)] = group >> 8;
    out[2 * (from + i) + 1] = group & 0xff;
  });
  return out;
}

/**
 * Formats 16 bytes at `offset` as RFC 5952 §4 text: lower case, no leading
 * zeros, the longest run of two or more zero groups (the first if tied) as
 * `::`, and IPv4-mapped addresses as `::ffff:a.b.c.d` (§5).
 */
export function formatIpv6Address(bytes: Uint8Array, offset = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) {
    groups.push(((bytes[offset + 2 * i] ?? 0) << 8) | (bytes[offset + 2 * i + 1] ?? 0));
  }
  if (
    groups[0] === 0 &&
    groups[1] === 0 &&
    groups[2] === 0 &&
    groups[3] === 0 &&
    groups[4] === 0 &&
    groups[5] === 0xffff
  ) {
    const v4 = `${bytes[offset + 12] ?? 0}.${bytes[offset + 13] ?? 0}.${bytes[offset + 14] ?? 0}.${bytes[offset + 15] ?? 0}`;
    return `::ffff:${v4}`;
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string =>
    groups
      .slice(from, to)
      .map((group) => group.toString(16))
      .join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

/** Whether the address at `offset` is link-local unicast (fe80::/10). */
export function isIpv6LinkLocal(bytes: Uint8Array, offset = 0): boolean {
  return bytes[offset] === 0xfe && ((bytes[offset + 1] ?? 0) & 0xc0) === 0x80;
}

/** Whether the address at `offset` is multicast (ff00::/8). */
export function isIpv6Multicast(bytes: Uint8Array, offset = 0): boolean {
  return bytes[offset] === 0xff;
}

/** Whether the address at `offset` is the unspecified address `::`. */
export function isIpv6Unspecified(bytes: Uint8Array, offset = 0): boolean {
  for (let i = 0; i < 16; i++) if (bytes[offset + i] !== 0) return false;
  return true;
}

/** Whether the 16 bytes at `offset` equal `address`. Does not allocate. */
export function ipv6AddressEquals(bytes: Uint8Array, offset: number, address: Uint8Array): boolean {
  if (address.length !== 16 || offset + 16 > bytes.length) return false;
  for (let i = 0; i < 16; i++) if (bytes[offset + i] !== address[i]) return false;
  return true;
}

const SOLICITED_NODE_PREFIX = [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff] as const;

/** Whether the address at `offset` is a solicited-node multicast address (ff02::1:ff00:0/104). */
export function isIpv6SolicitedNode(bytes: Uint8Array, offset = 0): boolean {
  for (let i = 0; i < 13; i++) if (bytes[offset + i] !== SOLICITED_NODE_PREFIX[i]) return false;
  return true;
}

/** The solicited-node multicast address for `address` (RFC 4291 §2.7.1): ff02::1:ff + its low 24 bits. */
export function solicitedNodeMulticast(address: Uint8Array, offset = 0): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(16);
  out[0] = 0xff;
  out[1] = 0x02;
  out[11] = 0x01;
  out[12] = 0xff;
  out[13] = address[offset + 13] ?? 0;
  out[14] = address[offset + 14] ?? 0;
  out[15] = address[offset + 15] ?? 0;
  return out;
}

/** The Ethernet address of an IPv6 multicast address (RFC 2464 §7): 33:33 + its low 32 bits. */
export function ipv6MulticastMac(address: Uint8Array, offset = 0): Uint8Array<ArrayBuffer> {
  return new Uint8Array([
    0x33,
    0x33,
    address[offset + 12] ?? 0,
    address[offset + 13] ?? 0,
    address[offset + 14] ?? 0,
    address[offset + 15] ?? 0,
  ]);
}
