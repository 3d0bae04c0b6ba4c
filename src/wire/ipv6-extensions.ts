/**
 * The walk over IPv6 extension headers (RFC 8200 §4) that finds the
 * upper-layer protocol: Hop-by-Hop (0, first only), Routing (43), Fragment
 * (44), Destination Options (60), Authentication Header (51, length in
 * 4-byte units, RFC 4302 §2.2) and No Next Header (59). Anything else ends the
 * walk and is the upper layer (ESP included: what follows it is encrypted).
 * A Fragment header with a non-zero offset also ends the walk: what follows it
 * is the middle of a payload, not a header.
 *
 * Two walks: `walkIpv6Extensions` lists what it met, with coded failures;
 * `walkIpv6ExtensionsPacked` allocates nothing, for `Ipv6Packet`'s getters.
 */
import { IpProtocol } from './ip-protocol.js';
import { decodeFailed, decoded, type Decoded } from './result.js';

/** Default bound on extension headers walked; each is at least 8 bytes, so this bounds work, not memory. */
export const IPV6_MAX_EXTENSION_HEADERS = 16;

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
export function walkIpv6ExtensionsPacked(
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
