/**
 * The IPv6 binding's settings, statistics and send-drop reasons
 * (ipv6-binding.ts): the types its users see, kept apart from the binding.
 */
import type { Clock, Crypto } from '../runtime/index.js';
import type { BindingBaseOptions } from './binding-base.js';
import type { Ipv6AddressState } from './ipv6-address.js';
import type { Ipv6Counters, Ipv6DropReason } from './ipv6-host.js';
import type { MldOptions, MldReportOptions } from './ipv6-mld.js';
import type { PathMtuLimits, PathMtuStats } from './ipv6-pmtu.js';
import type { RouterDiscoveryLimits, RouterDiscoveryStats } from './ipv6-router-discovery.js';
import type { NeighborCacheLimits, NeighborCacheStats } from './neighbor-cache.js';
import type { ReassemblyLimits, ReassemblyStats } from './reassembly.js';
import type { UdpSockets } from './udp-socket.js';

export const IPV6_SEND_DROP_REASONS = [
  'no-route',
  'no-source-address',
  'resolution-refused',
  'resolution-queue-full',
  'local-no-socket',
  'local-queue-full',
] as const;

export type Ipv6SendDropReason = (typeof IPV6_SEND_DROP_REASONS)[number];

export interface Ipv6Limits {
  /** DupAddrDetectTransmits (RFC 4862). Default 1; 0 skips DAD. */
  readonly dadTransmits?: number;
  readonly icmpErrorsPerSecond?: number;
  readonly icmpErrorBurst?: number;
  /** Hop limit of packets we send (ND uses 255), 1..255 (else a RangeError naming it). Default 64. */
  readonly hopLimit?: number;
  /** Routes in the routing table. Default 64. */
  readonly maxRoutes?: number;
  /** Fragment reassembly limits (16 packets, 4 per source, 64 fragments each, 256 KiB, 60 s). */
  readonly reassembly?: ReassemblyLimits;
  /** Send MLD reports for the solicited-node groups and answer queries. Default true. */
  readonly mld?: boolean;
  /** Rate limit of MLD query answers (10 per second, burst 10). */
  readonly mldAnswers?: MldOptions;
  /** How state changes are repeated (Robustness Variable 2, Unsolicited Report Interval 1 s). */
  readonly mldReports?: MldReportOptions;
  /** Path MTU table (64 destinations, 10 minutes). */
  readonly pathMtu?: PathMtuLimits;
  /** Learn default routers and on-link prefixes from Router Advertisements. Default false. */
  readonly acceptRouterAdvertisements?: boolean;
  /** Bounds of what RAs teach (4 routers, 8 prefixes). */
  readonly routerDiscovery?: RouterDiscoveryLimits;
}

export interface Ipv6BindingOptions extends BindingBaseOptions {
  readonly clock: Clock;
  readonly udp: UdpSockets;
  /**
   * Randomness for fragment Identification values (identification.ts:
   * absent, `globalThis.crypto`, else ERR_LINK_NO_RANDOMNESS) and MLD's
   * answer delays (absent: a small generator seeded from the adapter's MAC,
   * so hosts on one link still spread their answers; a delay needs no
   * secrecy).
   */
  readonly crypto?: Crypto;
  readonly neighborLimits?: NeighborCacheLimits;
  readonly limits?: Ipv6Limits;
  /** Configure the EUI-64 link-local address. Default true. */
  readonly linkLocal?: boolean;
}

export interface Ipv6AddressInfo {
  readonly address: string;
  readonly prefixLength: number;
  readonly state: Ipv6AddressState;
}

export interface Ipv6Stats extends Readonly<Ipv6Counters> {
  readonly name: string;
  readonly drops: Readonly<Record<Ipv6DropReason, number>>;
  readonly sendDrops: Readonly<Record<Ipv6SendDropReason, number>>;
  readonly cache: NeighborCacheStats;
  readonly reassembly: ReassemblyStats;
  readonly pathMtu: PathMtuStats;
  /**
   * The MLD version spoken now (1 while an MLDv1 querier is present), answers
   * refused by the rate limit, and groups whose last state change is still
   * being repeated.
   */
  readonly mld: {
    readonly version: 1 | 2;
    readonly rateLimited: number;
    readonly retransmitPending: number;
  };
  /** What Router Advertisements taught (empty unless `acceptRouterAdvertisements`). */
  readonly routerDiscovery: RouterDiscoveryStats;
}
