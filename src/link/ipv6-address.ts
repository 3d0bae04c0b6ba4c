/**
 * IPv6 addresses as the IPv6 binding keeps them: own addresses with their
 * DAD state and solicited-node group, the EUI-64 link-local address, the
 * neighbour-cache key, and allocation-free comparisons against packet bytes
 * or an indication's lookahead, and the questions the binding asks of its
 * address list (which is ours, which to send from, what is on-link).
 */
import type { Timer } from '../runtime/index.js';
import { isIpv6Multicast } from '../wire/index.js';
import type { Indication } from './indication.js';
import { Ipv6Kind } from './ipv6-host.js';

export type Ipv6AddressState = 'tentative' | 'preferred' | 'failed';

/** An own address (internal to the IPv6 binding and its ND, ICMPv6 and UDP parts). */
export interface Ipv6OwnAddress {
  readonly address: Uint8Array;
  readonly prefixLength: number;
  /** Its solicited-node multicast group. */
  readonly group: Uint8Array;
  state: Ipv6AddressState;
  dadSent: number;
  timer: Timer | undefined;
}

export const ALL_NODES = Uint8Array.of(0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
export const ALL_NODES_MAC = Uint8Array.of(0x33, 0x33, 0, 0, 0, 1);
export const UNSPECIFIED = new Uint8Array(16);

/** The modified EUI-64 link-local address of `mac` (fe80::/64, U/L bit flipped, ff:fe inserted). */
export function linkLocalFromMac(mac: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(16);
  out[0] = 0xfe;
  out[1] = 0x80;
  out[8] = (mac[0] as number) ^ 0x02;
  out[9] = mac[1] as number;
  out[10] = mac[2] as number;
  out[11] = 0xff;
  out[12] = 0xfe;
  out[13] = mac[3] as number;
  out[14] = mac[4] as number;
  out[15] = mac[5] as number;
  return out;
}

/** A neighbour-cache key for the IPv6 address at `bytes[at..at+16)`: 32 hex digits. */
export function ipv6Key(bytes: Uint8Array, at = 0): string {
  let key = '';
  for (let i = 0; i < 16; i++) key += ((bytes[at + i] as number) | 0x100).toString(16).slice(1);
  return key;
}

/** The address of a neighbour-cache key (the inverse of `ipv6Key`). */
export function keyBytes(key: string): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = parseInt(key.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Whether the first `prefixLength` bits of `a[aAt..]` and `b` agree. */
export function prefixMatches(
  a: Uint8Array,
  aAt: number,
  b: Uint8Array,
  prefixLength: number,
): boolean {
  let bits = prefixLength;
  for (let i = 0; i < 16 && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((((a[aAt + i] as number) ^ (b[i] as number)) & mask) !== 0) return false;
  }
  return true;
}

/** Whether `bytes[at..at+16)` equals `address`. */
export function equalAt(bytes: Uint8Array, at: number, address: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (bytes[at + i] !== address[i]) return false;
  return true;
}

/** Whether the lookahead of `ind` holds `address` at `offset`. No allocation. */
export function lookaheadMatches(ind: Indication, offset: number, address: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (ind.byteAt(offset + i) !== address[i]) return false;
  return true;
}

/** fe80::/10. */
export function isLinkLocalAt(bytes: Uint8Array, at = 0): boolean {
  return bytes[at] === 0xfe && ((bytes[at + 1] as number) & 0xc0) === 0x80;
}

/** ::1, which must never arrive on an interface (RFC 4291 §2.5.3). */
export function isLoopbackAt(bytes: Uint8Array, at = 0): boolean {
  for (let i = 0; i < 15; i++) if (bytes[at + i] !== 0) return false;
  return bytes[at + 15] === 1;
}

/** ::ffff:0:0/96, an IPv4-mapped address: never a source on an IPv6 wire (RFC 4291 §2.5.5.2, RFC 4038 §4.2). */
export function isIpv4MappedAt(bytes: Uint8Array, at = 0): boolean {
  for (let i = 0; i < 10; i++) if (bytes[at + i] !== 0) return false;
  return bytes[at + 10] === 0xff && bytes[at + 11] === 0xff;
}

// --- questions about the own-address list ---------------------------------

export function classifyDestination(addresses: readonly Ipv6OwnAddress[], ind: Indication): number {
  if (ind.byteAt(24) === 0xff) {
    if (lookaheadMatches(ind, 24, ALL_NODES)) return Ipv6Kind.Multicast;
    for (let a = 0; a < addresses.length; a++) {
      const own = addresses[a] as Ipv6OwnAddress;
      if (own.state !== 'failed' && lookaheadMatches(ind, 24, own.group)) {
        return Ipv6Kind.Multicast;
      }
    }
    return Ipv6Kind.NotOurs;
  }
  for (let a = 0; a < addresses.length; a++) {
    const own = addresses[a] as Ipv6OwnAddress;
    if (lookaheadMatches(ind, 24, own.address)) {
      return own.state === 'preferred' ? Ipv6Kind.Unicast : Ipv6Kind.Tentative;
    }
  }
  return Ipv6Kind.NotOurs;
}

/** The solicited-node groups joined now (one each, failed addresses left out). */
export function joinedGroups(addresses: readonly Ipv6OwnAddress[]): Uint8Array[] {
  const groups: Uint8Array[] = [];
  for (const own of addresses) {
    if (own.state === 'failed') continue;
    if (!groups.some((group) => equalAt(group, 0, own.group))) groups.push(own.group);
  }
  return groups;
}

/** The source of MLD reports: the PREFERRED link-local address, or `::` before there is one. */
export function mldSource(addresses: readonly Ipv6OwnAddress[]): Uint8Array {
  for (const own of addresses) {
    if (own.state === 'preferred' && isLinkLocalAt(own.address)) return own.address;
  }
  return UNSPECIFIED;
}

export function findOwn(
  addresses: readonly Ipv6OwnAddress[],
  bytes: Uint8Array,
  at: number,
): Ipv6OwnAddress | undefined {
  for (const own of addresses) if (equalAt(bytes, at, own.address)) return own;
  return undefined;
}

export function onLink(addresses: readonly Ipv6OwnAddress[], destination: Uint8Array): boolean {
  if (isLinkLocalAt(destination)) return true;
  for (const own of addresses) {
    if (own.state === 'preferred' && prefixMatches(destination, 0, own.address, own.prefixLength))
      return true;
  }
  return false;
}

/**
 * A PREFERRED own address for `destination` (RFC 6724, simplified):
 * link-local for link-local and multicast; else one on its prefix, else a
 * global one (an off-link destination through a router), else any.
 */
export function sourceFor(
  addresses: readonly Ipv6OwnAddress[],
  destination: Uint8Array,
): Uint8Array | undefined {
  const linkScope = isIpv6Multicast(destination) || isLinkLocalAt(destination);
  let global: Uint8Array | undefined;
  let fallback: Uint8Array | undefined;
  for (const own of addresses) {
    if (own.state !== 'preferred') continue;
    const linkLocal = isLinkLocalAt(own.address);
    if (linkScope && linkLocal) return own.address;
    if (!linkScope && !linkLocal) {
      if (prefixMatches(destination, 0, own.address, own.prefixLength)) return own.address;
      global ??= own.address;
    }
    fallback ??= own.address;
  }
  return global ?? fallback;
}
