/**
 * Router Advertisement learning for the IPv6 binding (RFC 4861 §6.3.4),
 * off unless `acceptRouterAdvertisements` is set (a lab host is usually
 * configured; a LAN host may want its router's word). When on, a valid RA
 * (§6.1.2: link-local source, hop limit 255, code 0, at least 16 bytes,
 * well-formed options; the binding already checked the checksum and that
 * it did not come fragmented) is learned from:
 *
 * - its Router Lifetime: non-zero makes (or refreshes) the sender a default
 *   router for that many seconds; zero removes it (§6.3.4). A configured
 *   route always wins: learned routers are used only when no configured
 *   route matches (RFC 4861 leaves the policy to the host);
 * - its Prefix Information options with the on-link (L) flag: the prefix is
 *   on-link for its Valid Lifetime (zero removes it; 0xffffffff is
 *   forever); the link-local prefix is ignored (§6.3.4). Addresses are not
 *   configured (no SLAAC), and the A flag, Cur Hop Limit, Reachable Time,
 *   Retrans Timer and the MTU option are not used.
 *
 * Bounded: at most `maxRouters` (default 4) default routers and
 * `maxPrefixes` (default 8) prefixes; a new one past that is ignored and
 * counted (`refused`). Expiry is checked when the tables are read (no timer
 * per entry). An invalid RA is dropped as `bad-router-advertisement`; when
 * learning is off, RAs are counted (`routerAdvertisements`) and ignored.
 */
import { positiveInteger, type Clock } from '../runtime/index.js';
import { formatIpv6Address, type Icmpv6Packet, type Ipv6Packet } from '../wire/index.js';
import { equalAt, isLinkLocalAt, prefixMatches } from './ipv6-address.js';

export interface RouterDiscoveryLimits {
  /** Default routers learned at most. Default 4. */
  readonly maxRouters?: number;
  /** On-link prefixes learned at most. Default 8. */
  readonly maxPrefixes?: number;
}

export interface LearnedRouter {
  readonly address: string;
  /** Milliseconds on the clock when it stops being a default router. */
  readonly expires: number;
}

export interface LearnedPrefix {
  readonly prefix: string;
  readonly prefixLength: number;
  /** Infinity for a prefix valid forever. */
  readonly expires: number;
}

export interface RouterDiscoveryStats {
  readonly routers: readonly LearnedRouter[];
  readonly prefixes: readonly LearnedPrefix[];
  /** Routers and prefixes not learned because their table was full. */
  readonly refused: number;
}

interface Router {
  readonly address: Uint8Array;
  expires: number;
}

interface Prefix {
  readonly prefix: Uint8Array;
  readonly length: number;
  expires: number;
}

const RA_FIXED = 16;
const PREFIX_INFORMATION = 3;
const ON_LINK_FLAG = 0x80;

/** See the file comment. */
export class RouterDiscovery {
  readonly maxRouters: number;
  readonly maxPrefixes: number;
  private routers: Router[] = [];
  private prefixes: Prefix[] = [];
  private refused = 0;

  constructor(
    private readonly clock: Clock,
    limits: RouterDiscoveryLimits = {},
  ) {
    this.maxRouters = positiveInteger('maxRouters', limits.maxRouters, 4);
    this.maxPrefixes = positiveInteger('maxPrefixes', limits.maxPrefixes, 8);
  }

  /** Learns from a Router Advertisement; false when it is invalid (RFC 4861 §6.1.2). */
  learn(ip: Ipv6Packet, icmp: Icmpv6Packet): boolean {
    const bytes = icmp.bytes;
    if (ip.hopLimit !== 255 || icmp.code !== 0 || bytes.length < RA_FIXED) return false;
    if (!isLinkLocalAt(ip.sourceAddress)) return false;
    // Options first: a malformed one invalidates the whole message.
    for (let at = RA_FIXED; at < bytes.length;) {
      const units = bytes[at + 1];
      if (at + 2 > bytes.length || units === undefined || units === 0) return false;
      if (at + units * 8 > bytes.length) return false;
      at += units * 8;
    }
    const now = this.clock.now();
    this.learnRouter(ip.sourceAddress, ((bytes[6] as number) << 8) | (bytes[7] as number), now);
    for (let at = RA_FIXED; at < bytes.length; at += (bytes[at + 1] as number) * 8) {
      if (bytes[at] === PREFIX_INFORMATION && bytes[at + 1] === 4) this.learnPrefix(bytes, at, now);
    }
    return true;
  }

  /** The first default router still valid, or undefined. */
  defaultRouter(): Uint8Array | undefined {
    this.expire();
    return this.routers[0]?.address;
  }

  /** Whether `destination` is in a learned on-link prefix. */
  isOnLink(destination: Uint8Array): boolean {
    if (this.prefixes.length === 0) return false;
    this.expire();
    return this.prefixes.some((p) => prefixMatches(destination, 0, p.prefix, p.length));
  }

  stats(): RouterDiscoveryStats {
    this.expire();
    return {
      routers: this.routers.map((r) => ({
        address: formatIpv6Address(r.address),
        expires: r.expires,
      })),
      prefixes: this.prefixes.map((p) => ({
        prefix: formatIpv6Address(p.prefix),
        prefixLength: p.length,
        expires: p.expires,
      })),
      refused: this.refused,
    };
  }

  private learnRouter(address: Uint8Array, lifetimeSeconds: number, now: number): void {
    const known = this.routers.find((r) => equalAt(r.address, 0, address));
    if (lifetimeSeconds === 0) {
      if (known !== undefined) this.routers = this.routers.filter((r) => r !== known);
      return;
    }
    const expires = now + lifetimeSeconds * 1000;
    if (known !== undefined) {
      known.expires = expires;
      return;
    }
    this.expire();
    if (this.routers.length >= this.maxRouters) {
      this.refused++;
      return;
    }
    this.routers = [...this.routers, { address: Uint8Array.from(address), expires }];
  }

  /** A Prefix Information option at `bytes[at..at+32)` (RFC 4861 §4.6.2). */
  private learnPrefix(bytes: Uint8Array, at: number, now: number): void {
    const length = bytes[at + 2] as number;
    if (length > 128 || ((bytes[at + 3] as number) & ON_LINK_FLAG) === 0) return;
    const prefix = new Uint8Array(16);
    // Only the prefix's bits: the rest of the field is to be ignored (§4.6.2).
    for (let bit = 0; bit < length; bit++) {
      const byte = bit >> 3;
      const mask = 0x80 >> (bit & 7);
      prefix[byte] = (prefix[byte] as number) | ((bytes[at + 16 + byte] as number) & mask);
    }
    if (isLinkLocalAt(prefix) && length <= 64) return;
    const valid =
      (bytes[at + 4] as number) * 0x1000000 +
      (((bytes[at + 5] as number) << 16) |
        ((bytes[at + 6] as number) << 8) |
        (bytes[at + 7] as number));
    const known = this.prefixes.find((p) => p.length === length && equalAt(p.prefix, 0, prefix));
    if (valid === 0) {
      if (known !== undefined) this.prefixes = this.prefixes.filter((p) => p !== known);
      return;
    }
    const expires = valid === 0xffffffff ? Infinity : now + valid * 1000;
    if (known !== undefined) {
      known.expires = expires;
      return;
    }
    this.expire();
    if (this.prefixes.length >= this.maxPrefixes) {
      this.refused++;
      return;
    }
    this.prefixes = [...this.prefixes, { prefix, length, expires }];
  }

  private expire(): void {
    const now = this.clock.now();
    if (this.routers.some((r) => r.expires <= now)) {
      this.routers = this.routers.filter((r) => r.expires > now);
    }
    if (this.prefixes.some((p) => p.expires <= now)) {
      this.prefixes = this.prefixes.filter((p) => p.expires > now);
    }
  }
}
