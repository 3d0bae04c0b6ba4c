/**
 * Path MTU per destination for the IPv6 binding (RFC 8201): a Packet Too
 * Big message (RFC 4443 §3.2) about a packet we sent lowers the MTU the
 * binding fragments sends to its destination with. Accepted only when the
 * quoted packet is one of ours (its source is an own address) and its
 * destination is unicast; an MTU below 1280 is raised to 1280 (RFC 8200 §5:
 * IPv6 links carry 1280 at least) and one at or above the link's MTU
 * changes nothing. Anything else is dropped as `bad-packet-too-big`.
 *
 * Bounded: `maxPaths` (default 64) destinations; a new one past that evicts
 * the oldest (counted in `evicted`). An entry ages out after `ageMs`
 * (default 10 minutes, RFC 8201 §4's suggestion), so a path that grew
 * back is used again; the age is checked on lookup (no timer per entry).
 */
import { positiveInteger, type Clock } from '../runtime/index.js';
import { isIpv6Multicast } from '../wire/index.js';
import { ipv6Key } from './ipv6-address.js';

/** The IPv6 minimum link MTU (RFC 8200 §5). */
export const IPV6_MINIMUM_MTU = 1280;

export interface PathMtuLimits {
  /** Destinations remembered. Default 64. */
  readonly maxPaths?: number;
  /** Milliseconds an entry is trusted. Default 600,000. */
  readonly ageMs?: number;
}

export interface PathMtuStats {
  readonly paths: number;
  /** Packet Too Big messages that lowered a path MTU. */
  readonly recorded: number;
  readonly evicted: number;
}

interface PathEntry {
  readonly mtu: number;
  readonly expires: number;
}

/** See the file comment. */
export class PathMtuTable {
  readonly maxPaths: number;
  readonly ageMs: number;
  /** In insertion order, so the first is the oldest. */
  private readonly paths = new Map<string, PathEntry>();
  private recorded = 0;
  private evicted = 0;

  constructor(
    private readonly clock: Clock,
    private readonly linkMtu: number,
    limits: PathMtuLimits = {},
  ) {
    this.maxPaths = positiveInteger('Path MTU maxPaths', limits.maxPaths, 64);
    this.ageMs = positiveInteger('Path MTU ageMs', limits.ageMs, 600_000);
  }

  /** Records `mtu` for `destination` (16 bytes at `at`); false when it changes nothing. */
  record(destination: Uint8Array, at: number, mtu: number): boolean {
    if (isIpv6Multicast(destination.subarray(at, at + 16))) return false;
    const value = Math.max(IPV6_MINIMUM_MTU, Math.min(mtu, this.linkMtu));
    if (value >= this.linkMtu) return false;
    const key = ipv6Key(destination, at);
    const known = this.lookup(key);
    if (known !== undefined && known <= value) return false;
    this.paths.delete(key);
    if (this.paths.size >= this.maxPaths) {
      const oldest = this.paths.keys().next().value as string;
      this.paths.delete(oldest);
      this.evicted++;
    }
    this.paths.set(key, { mtu: value, expires: this.clock.now() + this.ageMs });
    this.recorded++;
    return true;
  }

  /** The MTU to send to `destination` with: the path's, or the link's. */
  mtuFor(destination: Uint8Array, at = 0): number {
    if (this.paths.size === 0) return this.linkMtu;
    return this.lookup(ipv6Key(destination, at)) ?? this.linkMtu;
  }

  stats(): PathMtuStats {
    return { paths: this.paths.size, recorded: this.recorded, evicted: this.evicted };
  }

  private lookup(key: string): number | undefined {
    const entry = this.paths.get(key);
    if (entry === undefined) return undefined;
    if (this.clock.now() >= entry.expires) {
      this.paths.delete(key);
      return undefined;
    }
    return entry.mtu;
  }
}

/**
 * A Packet Too Big (RFC 4443 §3.2, checksum verified): the MTU at bytes
 * 4..8, then the quoted packet, which must be one we sent (`isOwn` of its
 * source); recorded for its destination.
 */
export function receivePacketTooBig(
  table: PathMtuTable,
  icmp: { readonly bytes: Uint8Array },
  isOwn: (bytes: Uint8Array, at: number) => boolean,
): 'recorded' | 'unchanged' | 'invalid' {
  const bytes = icmp.bytes;
  if (bytes.length < 8 + 40 || (bytes[8] as number) >> 4 !== 6 || !isOwn(bytes, 8 + 8))
    return 'invalid';
  const mtu =
    (bytes[4] as number) * 0x1000000 +
    (((bytes[5] as number) << 16) | ((bytes[6] as number) << 8) | (bytes[7] as number));
  return table.record(bytes, 8 + 24, mtu) ? 'recorded' : 'unchanged';
}
