/**
 * What the parts of the IPv6 binding (Neighbor Discovery, ICMPv6, UDP) see of
 * it: one small interface the binding implements with closures made once, so
 * each part is a file of its own with no access to the rest of the binding,
 * plus the header writers they share (through the `netrx/wire` views).
 */
import { Icmpv6Packet, Ipv6Packet } from '../wire/index.js';
import type { Indication } from './indication.js';
import type { Ipv6OwnAddress } from './ipv6-address.js';
import { writeLinkHeader, writeReplyHeader } from './link-header.js';
import type { NeighborCache } from './neighbor-cache.js';

export const ETHERTYPE_IPV6 = 0x86dd;
export const NEXT_HEADER_UDP = 17;
export const NEXT_HEADER_ICMPV6 = 58;

const IPV6_DROP_REASONS = [
  'truncated',
  'bad-version',
  'bad-source',
  'not-for-us',
  'other-vlan',
  'tentative-destination',
  'bad-extension-headers',
  'unknown-option',
  'incomplete-header-chain',
  'bad-fragment',
  'fragment-overlap',
  'fragment-too-large',
  'fragment-too-many',
  'fragment-discarded',
  'reassembly-full',
  'unknown-next-header',
  'bad-icmp',
  'bad-icmp-checksum',
  'bad-hop-limit',
  'bad-nd',
  'nd-fragmented',
  'bad-mld',
  'unsolicited-advertisement',
  'bad-packet-too-big',
  'bad-router-advertisement',
  'bad-udp',
  'bad-udp-checksum',
  'no-socket',
  'socket-queue-full',
  'icmp-rate-limited',
] as const;
export { IPV6_DROP_REASONS };

export type Ipv6DropReason = (typeof IPV6_DROP_REASONS)[number];

/** Counters the parts update (`stats()` copies them). */
export interface Ipv6Counters {
  received: number;
  delivered: number;
  echoRequests: number;
  echoReplies: number;
  solicitationsReceived: number;
  advertisementsSent: number;
  advertisementsReceived: number;
  solicitationsSent: number;
  dadProbes: number;
  dadSuccesses: number;
  dadFailures: number;
  conflicts: number;
  icmpErrorsSent: number;
  icmpOther: number;
  sent: number;
  /** Packets sent as fragments, and the fragments. */
  fragmented: number;
  fragmentsSent: number;
  /** MLD reports (v2, or v1 and Done in compatibility mode) sent and queries received. */
  mldReports: number;
  mldQueries: number;
  /** Packet Too Big messages that lowered a path MTU. */
  packetTooBig: number;
  /** Router Advertisements learned from (when enabled) or ignored (when not). */
  routerAdvertisements: number;
  /** Datagrams to an own address delivered to a local socket without the wire. */
  local: number;
}

/** Where a destination stood when the packet was classified. */
export const Ipv6Kind = { NotOurs: 0, Unicast: 1, Multicast: 2, Tentative: 3 } as const;

export interface Ipv6Host {
  readonly mac: Uint8Array;
  /** The binding's VLAN id, or -1 (untagged). */
  readonly vlan: number;
  /** Bytes of link header the binding writes. */
  readonly linkHeader: number;
  readonly hopLimit: number;
  readonly counters: Ipv6Counters;
  readonly cache: NeighborCache<string>;
  drop(reason: Ipv6DropReason, length: number): 'not-accepted';
  /** Counts, without tracing, traffic that is simply someone else's. */
  ignore(reason: Ipv6DropReason): 'not-accepted';
  /** Sends a frame and counts it. */
  send(frame: Uint8Array): void;
  /** Sends a frame whose IPv6 packet starts at `ipAt`, in fragments when it exceeds the MTU. */
  sendPacket(frame: Uint8Array, ipAt: number): void;
  /** Whether an ICMPv6 error about `ind` may go out (link-level rules, rate limit); `group` allows the RFC 4443 §2.4 (e) exceptions. */
  mayReportError(ind: Indication, group: boolean): boolean;
  /** The rate limit for an ICMPv6 error sent with no frame being indicated (a reassembly timeout). */
  mayReportLater(): boolean;
  findOwn(bytes: Uint8Array, at: number): Ipv6OwnAddress | undefined;
  /** A PREFERRED own address to send to `destination` from. */
  sourceFor(destination: Uint8Array): Uint8Array | undefined;
  dadFailed(own: Ipv6OwnAddress): void;
  /** A Multicast Listener Query arrived (ipv6-mld.ts answers it). */
  mldQuery(ind: Indication, ip: Ipv6Packet, icmp: Icmpv6Packet): 'accepted' | 'not-accepted';
  /** A Packet Too Big arrived (ipv6-pmtu.ts records it). */
  packetTooBig(ind: Indication, icmp: Icmpv6Packet): 'accepted' | 'not-accepted';
  /** A Router Advertisement arrived (ipv6-router-discovery.ts learns from it if enabled). */
  routerAdvertisement(
    ind: Indication,
    ip: Ipv6Packet,
    icmp: Icmpv6Packet,
  ): 'accepted' | 'not-accepted';
  conflict(own: Ipv6OwnAddress): void;
}

/**
 * Writes our link header and a fixed IPv6 header into `frame`; returns where
 * the IPv6 header starts. `destinationMac` undefined leaves it to the
 * neighbour cache; `reply` takes it from the frame being answered instead.
 */
export function writeIpv6Frame(
  host: Ipv6Host,
  frame: Uint8Array,
  destinationMac: Uint8Array | undefined,
  reply: Indication | undefined,
  payloadLength: number,
  nextHeader: number,
  hopLimit: number,
  source: Uint8Array,
  destination: Uint8Array,
): number {
  const at =
    reply === undefined
      ? writeLinkHeader(frame, destinationMac, host.mac, host.vlan, ETHERTYPE_IPV6)
      : writeReplyHeader(reply, frame, host.mac, host.vlan, ETHERTYPE_IPV6, destinationMac);
  const ip = Ipv6Packet.unchecked(frame.subarray(at, at + 40));
  ip.setVersionClassFlow(0, 0);
  ip.setPayloadLength(payloadLength);
  ip.setNextHeader(nextHeader);
  ip.setHopLimit(hopLimit);
  ip.setSourceAddress(source);
  ip.setDestinationAddress(destination);
  return at;
}

/** The ICMPv6 message after the IPv6 header at `frame[ipAt..]`, `length` bytes, as a view. */
export function icmpv6At(frame: Uint8Array, ipAt: number, length: number): Icmpv6Packet {
  return Icmpv6Packet.unchecked(frame.subarray(ipAt + 40, ipAt + 40 + length));
}

/** Fills the checksum of the ICMPv6 message after the IPv6 header at `frame[ipAt..]`. */
export function fillIcmpv6Checksum(frame: Uint8Array, ipAt: number, icmp: Icmpv6Packet): void {
  icmp.fillChecksum(frame.subarray(ipAt + 8, ipAt + 24), frame.subarray(ipAt + 24, ipAt + 40));
}
