/**
 * The IPv4 binding's settings, statistics and send-drop reasons
 * (ipv4-binding.ts): the types its users see, kept apart from the binding.
 */
import type { Clock, Crypto } from '../runtime/index.js';
import type { ArpBinding } from './arp-binding.js';
import type { BindingBaseOptions } from './binding-base.js';
import type { Ipv4DropReason } from './ipv4-icmp.js';
import type { ReassemblyLimits, ReassemblyStats } from './reassembly.js';
import type { UdpSockets } from './udp-socket.js';

export const IPV4_SEND_DROP_REASONS = [
  'no-route',
  'no-source-address',
  'resolution-refused',
  'resolution-queue-full',
  'local-no-socket',
  'local-queue-full',
] as const;

/** Why a send was dropped (`stats().sendDrops`). */
export type Ipv4SendDropReason = (typeof IPV4_SEND_DROP_REASONS)[number];

export interface Ipv4AddressConfig {
  /** Dotted quad. */
  readonly address: string;
  readonly prefixLength: number;
}

export interface Ipv4Limits {
  /** ICMP errors per second (token refill). Default 10. */
  readonly icmpErrorsPerSecond?: number;
  /** ICMP error burst (bucket size). Default 10. */
  readonly icmpErrorBurst?: number;
  /** TTL of datagrams we send, 1..255 (else a RangeError naming it). Default 64. */
  readonly timeToLive?: number;
  /** Routes in the routing table. Default 64. */
  readonly maxRoutes?: number;
  /** Fragment reassembly limits (16 datagrams, 4 per source, 64 fragments each, 256 KiB, 30 s). */
  readonly reassembly?: ReassemblyLimits;
}

export interface Ipv4BindingOptions extends BindingBaseOptions {
  readonly clock: Clock;
  readonly arp: ArpBinding;
  readonly udp: UdpSockets;
  readonly limits?: Ipv4Limits;
  /**
   * Randomness for the Identification values (identification.ts).
   * Absent: a generator seeded from the adapter's MAC, not secret.
   */
  readonly crypto?: Crypto;
}

export interface Ipv4Stats {
  readonly name: string;
  readonly received: number;
  readonly delivered: number;
  readonly echoRequests: number;
  readonly echoReplies: number;
  readonly icmpErrorsSent: number;
  readonly icmpOther: number;
  readonly sent: number;
  readonly drops: Readonly<Record<Ipv4DropReason, number>>;
  readonly sendDrops: Readonly<Record<Ipv4SendDropReason, number>>;
  readonly reassembly: ReassemblyStats;
  /** Datagrams sent as fragments, and the fragments. */
  readonly fragmented: number;
  readonly fragmentsSent: number;
  /** Datagrams to an own address delivered to a local socket without the wire. */
  readonly local: number;
}
