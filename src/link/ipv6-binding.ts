/**
 * The IPv6 binding (RFC 8200): the receive demultiplexer up to the point a
 * packet is ours, and `sendUdp`. Its parts, each a file that sees the
 * binding through the small `Ipv6Host` interface (ipv6-host.ts): own
 * addresses and DAD (ipv6-own-addresses.ts), extension headers, fragments
 * and the upper-layer dispatch (ipv6-receive.ts), ICMPv6 (ipv6-icmp.ts),
 * Neighbor Discovery (ipv6-nd.ts), MLD (ipv6-mld.ts), UDP (ipv6-udp.ts),
 * path MTU (ipv6-pmtu.ts) and Router Advertisement learning
 * (ipv6-router-discovery.ts, off by default).
 *
 * Addresses: a link-local address derived from the adapter's MAC (modified
 * EUI-64, RFC 4291 §2.5.1 and App. A) plus configured ones, each through
 * DAD; joining and leaving a solicited-node group is reported with MLD and
 * queries are answered, so switches that snoop MLD forward NS to us.
 *
 * Send: past the path MTU (the link's, or lower after a Packet Too Big) a
 * packet is fragmented (ipv6-fragments.ts), up to a 65,535-byte payload. A
 * destination is on-link if it is link-local, on an own prefix or on a
 * prefix learned from an RA; else it goes to the gateway of its longest
 * configured route, else to a learned default router, else drops as
 * `no-route`. Multicast goes to its 33:33 MAC with hop limit 1; an own
 * address is delivered to the local socket without the wire; `::`, `::1`,
 * IPv4-mapped and node-local multicast throw ERR_LINK_BAD_DESTINATION.
 *
 * Receive: only frames on the binding's segment (untagged, or its VLAN);
 * sources that are multicast, ::1, IPv4-mapped (::ffff:0:0/96) or an own
 * address (except in ND, where DAD needs it) are dropped (`bad-source`), and
 * `::` is accepted only where ND allows it (a DAD probe). Every length comes
 * from Payload Length and UDP Length, so Ethernet padding is ignored.
 * Rejection of another host's traffic allocates nothing; once a packet is
 * ours it is read through the `netrx/wire` views.
 */
import { allocFromSlab as allocFrame } from '../bytes/index.js';
import { NetrxError, type Clock, type Crypto } from '../runtime/index.js';
import {
  formatIpv6Address,
  Ipv6Packet,
  ipv6MulticastMac,
  isIpv6Multicast,
  isIpv6Unspecified,
  type Icmpv6Packet,
} from '../wire/index.js';
import { hopLimitOption, IpBindingBase, type BindingBaseOptions } from './binding-base.js';
import { traceAddress } from './binding-events.js';
import type { Indication } from './indication.js';
import {
  ALL_NODES_MAC,
  classifyDestination,
  findOwn,
  ipv6Key,
  isIpv4MappedAt,
  isLoopbackAt,
  joinedGroups,
  keyBytes,
  linkLocalFromMac,
  mldSource,
  onLink,
  sourceFor,
  type Ipv6AddressState,
} from './ipv6-address.js';
import {
  ETHERTYPE_IPV6,
  IPV6_DROP_REASONS,
  Ipv6Kind,
  NEXT_HEADER_UDP,
  writeIpv6Frame,
  type Ipv6Counters,
  type Ipv6DropReason,
  type Ipv6Host,
} from './ipv6-host.js';
import { fragmentIpv6, IPV6_MAX_PAYLOAD } from './ipv6-fragments.js';
import { Ipv6Identification } from './identification.js';
import { MldListener, type MldOptions, type MldReportOptions } from './ipv6-mld.js';
import { sendSolicitation } from './ipv6-nd.js';
import { Ipv6OwnAddresses } from './ipv6-own-addresses.js';
import {
  PathMtuTable,
  receivePacketTooBig,
  type PathMtuLimits,
  type PathMtuStats,
} from './ipv6-pmtu.js';
import { Ipv6Receiver } from './ipv6-receive.js';
import {
  RouterDiscovery,
  type RouterDiscoveryLimits,
  type RouterDiscoveryStats,
} from './ipv6-router-discovery.js';
import { writeUdp6 } from './ipv6-udp.js';
import { randomSource } from './random-source.js';
import { writeLinkHeader } from './link-header.js';
import {
  NeighborCache,
  type NeighborCacheLimits,
  type NeighborCacheStats,
  type NeighborEntry,
  type NeighborSendResult,
} from './neighbor-cache.js';
import { wholePacket } from './packet.js';
import { PacketFilter } from './packet-filter.js';
import { Reassembly, type ReassemblyLimits, type ReassemblyStats } from './reassembly.js';
import { Ipv6Routes } from './routes.js';
import type { UdpSendResult, UdpSockets } from './udp-socket.js';

export { ETHERTYPE_IPV6, type Ipv6DropReason } from './ipv6-host.js';
export { ipv6Key, linkLocalFromMac, type Ipv6AddressState } from './ipv6-address.js';

const IPV6_SEND_DROP_REASONS = [
  'no-route',
  'no-source-address',
  'resolution-refused',
  'resolution-queue-full',
  'local-no-socket',
  'local-queue-full',
] as const;

/**
 * Destinations no packet may be sent to on a wire (RFC 4291 §2.5.2, §2.5.3,
 * §2.5.5.2, §2.7): `::`, `::1` (netrx has no loopback interface),
 * IPv4-mapped addresses and multicast of interface-local or reserved scope.
 * Misuse: it throws.
 */
function checkDestination6(to: Uint8Array): void {
  let why: string | undefined;
  if (isIpv6Unspecified(to)) why = 'the unspecified address names no destination';
  else if (isLoopbackAt(to)) why = 'the loopback address never goes on a wire';
  else if (isIpv4MappedAt(to)) why = 'an IPv4-mapped address never goes on a wire';
  else if (isIpv6Multicast(to) && ((to[1] as number) & 0x0f) <= 1) {
    why = 'multicast of interface-local or reserved scope stays on the node';
  }
  if (why !== undefined) {
    throw new NetrxError(
      'ERR_LINK_BAD_DESTINATION',
      `Cannot send to ${formatIpv6Address(to)}: ${why}`,
    );
  }
}

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

/** See the file comment. */
export class Ipv6Binding extends IpBindingBase<Ipv6DropReason, Ipv6SendDropReason> {
  readonly cache: NeighborCache<string>;
  /** Routes through routers (::/0: the default router). */
  readonly routes: Ipv6Routes;
  private readonly udp: UdpSockets;
  private readonly hopLimit: number;
  private readonly own: Ipv6OwnAddresses;
  private closed = false;
  private readonly counters: Ipv6Counters = {
    received: 0,
    delivered: 0,
    echoRequests: 0,
    echoReplies: 0,
    solicitationsReceived: 0,
    advertisementsSent: 0,
    advertisementsReceived: 0,
    solicitationsSent: 0,
    dadProbes: 0,
    dadSuccesses: 0,
    dadFailures: 0,
    conflicts: 0,
    icmpErrorsSent: 0,
    icmpOther: 0,
    sent: 0,
    fragmented: 0,
    fragmentsSent: 0,
    mldReports: 0,
    mldQueries: 0,
    packetTooBig: 0,
    routerAdvertisements: 0,
    local: 0,
  };
  private readonly mld: MldListener | undefined;
  private readonly reassembly: Reassembly;
  private readonly receiver: Ipv6Receiver;
  private readonly pathMtu: PathMtuTable;
  private readonly routerDiscovery: RouterDiscovery;
  private readonly acceptRa: boolean;
  /** Fragment header Identification per destination (RFC 7739, identification.ts). */
  private readonly identification: Ipv6Identification;
  /** What ND, ICMPv6, MLD and UDP see of this binding. */
  private readonly host: Ipv6Host;

  constructor(options: Ipv6BindingOptions) {
    const limits = options.limits ?? {};
    super(
      {
        ...options,
        icmpErrorsPerSecond: limits.icmpErrorsPerSecond,
        icmpErrorBurst: limits.icmpErrorBurst,
      },
      'ipv6',
      IPV6_DROP_REASONS,
      IPV6_SEND_DROP_REASONS,
    );
    const clock = options.clock;
    // First of all the draws from `crypto`, so a seeded one gives known IDs.
    this.identification = new Ipv6Identification(options.crypto);
    this.udp = options.udp;
    this.hopLimit = hopLimitOption('limits.ipv6.hopLimit', limits.hopLimit);
    this.routes = new Ipv6Routes(limits.maxRoutes);
    this.pathMtu = new PathMtuTable(clock, this.adapter.mtu, limits.pathMtu);
    this.routerDiscovery = new RouterDiscovery(clock, limits.routerDiscovery);
    this.acceptRa = limits.acceptRouterAdvertisements ?? false;
    // 48: the fixed header and the Fragment header, which the packet put back together loses.
    this.reassembly = new Reassembly(
      clock,
      IPV6_MAX_PAYLOAD,
      { timeoutMs: 60_000, ...limits.reassembly },
      48,
      (first) => this.receiver.expired(first),
    );
    this.cache = new NeighborCache<string>(
      'nd',
      clock,
      {
        solicit: (key, unicast) => sendSolicitation(this.host, keyBytes(key), unicast),
        transmit: (frame) => this.handle.send(frame),
        format: (key) => formatIpv6Address(keyBytes(key)),
      },
      options.neighborLimits,
      options.trace,
    );
    this.host = {
      mac: this.adapter.mac,
      vlan: this.vlan,
      linkHeader: this.linkHeader,
      hopLimit: this.hopLimit,
      counters: this.counters,
      cache: this.cache,
      drop: (reason, length) => this.drop(reason, length),
      ignore: (reason) => this.ignore(reason),
      send: (frame) => {
        this.counters.sent++;
        this.handle.send(frame);
      },
      sendPacket: (frame, ipAt) => {
        for (const piece of this.fragmentsOf(frame, ipAt, frame.subarray(0, 6))) {
          this.counters.sent++;
          this.handle.send(piece);
        }
      },
      mayReportError: (ind, group) => this.mayReportError(ind, 'icmp-rate-limited', group),
      mayReportLater: () => this.mayReportLater('icmp-rate-limited'),
      findOwn: (bytes, at) => findOwn(this.own.list, bytes, at),
      sourceFor: (destination) => sourceFor(this.own.list, destination),
      dadFailed: (own) => this.own.failed(own),
      mldQuery: (ind, ip, icmp) => this.mld?.query(ind, ip, icmp) ?? 'accepted',
      packetTooBig: (ind, icmp) => this.packetTooBig(ind, icmp),
      routerAdvertisement: (ind, ip, icmp) => {
        this.counters.routerAdvertisements++;
        if (!this.acceptRa || this.routerDiscovery.learn(ip, icmp)) return 'accepted';
        return this.drop('bad-router-advertisement', ind.packetSize);
      },
      conflict: (own) => {
        this.counters.conflicts++;
        traceAddress(this.trace, 6, formatIpv6Address(own.address), 'conflict');
      },
    };
    this.mld =
      (limits.mld ?? true)
        ? new MldListener(
            this.host,
            clock,
            randomSource(options.crypto, this.adapter.mac),
            () => joinedGroups(this.own.list),
            () => mldSource(this.own.list),
            { ...limits.mldAnswers, ...limits.mldReports },
          )
        : undefined;
    this.own = new Ipv6OwnAddresses({
      host: this.host,
      clock,
      trace: this.trace,
      counters: this.counters,
      dadTransmits: limits.dadTransmits ?? 1,
      retransmitMs: options.neighborLimits?.retransmitMs ?? 1000,
      mld: this.mld,
      addMulticast: (mac) => this.handle.addMulticast(mac),
      removeMulticast: (mac) => this.handle.removeMulticast(mac),
    });
    this.receiver = new Ipv6Receiver(this.host, this.udp, this.reassembly, (ip) => {
      const own = findOwn(this.own.list, ip.bytes, 8);
      return own !== undefined && own.state !== 'failed';
    });
    this.open({
      lookahead: 128,
      etherTypes: [ETHERTYPE_IPV6],
      packetFilter: PacketFilter.Directed | PacketFilter.Multicast,
      multicast: [ALL_NODES_MAC],
    });
    if (options.linkLocal ?? true) this.addAddress(linkLocalFromMac(options.adapter.mac), 64);
  }

  /** Adds an own address; it is TENTATIVE until DAD finishes (at once with `dadTransmits: 0`). */
  addAddress(address: Uint8Array, prefixLength: number): void {
    this.own.add(address, prefixLength);
  }

  removeAddress(address: Uint8Array): boolean {
    return this.own.remove(address);
  }

  addressList(): Ipv6AddressInfo[] {
    return this.own.list.map((a) => ({
      address: formatIpv6Address(a.address),
      prefixLength: a.prefixLength,
      state: a.state,
    }));
  }

  /** The MAC of `address` if known; otherwise starts Neighbor Solicitation. */
  resolve(address: Uint8Array): Uint8Array | undefined {
    return this.cache.resolve(ipv6Key(address));
  }

  entries(): NeighborEntry<string>[] {
    return this.cache.list();
  }

  /** The MTU sends to `destination` are fragmented for (the link's unless a Packet Too Big lowered it). */
  pathMtuFor(destination: Uint8Array): number {
    return this.pathMtu.mtuFor(destination);
  }

  receive(ind: Indication): 'accepted' | 'not-accepted' {
    if (ind.etherType !== ETHERTYPE_IPV6) return 'not-accepted';
    if (!this.onSegment(ind)) return this.ignore('other-vlan');
    const size = ind.packetSize;
    if (size < 40 || ind.lookaheadSize < 40) return this.drop('truncated', size);
    if (ind.byteAt(0) >> 4 !== 6) return this.drop('bad-version', size);
    const total = 40 + ind.u16At(4);
    if (total > size) return this.drop('truncated', size);
    const kind = classifyDestination(this.own.list, ind);
    if (kind === Ipv6Kind.NotOurs) return this.ignore('not-for-us');
    if (kind === Ipv6Kind.Tentative) return this.drop('tentative-destination', size);
    if (ind.byteAt(8) === 0xff) return this.drop('bad-source', size);
    // The packet is ours: from here on we may allocate, and read through the views.
    const whole = wholePacket(ind, total);
    if (whole === undefined) return this.drop('truncated', size);
    const ip = Ipv6Packet.unchecked(whole);
    if (isLoopbackAt(ip.bytes, 8) || isIpv4MappedAt(ip.bytes, 8)) {
      return this.drop('bad-source', size);
    }
    return this.receiver.process(ind, ip, kind, true);
  }

  /** Sends a UDP datagram; `source` undefined picks an own PREFERRED address (RFC 6724, simplified). */
  sendUdp(
    source: Uint8Array | undefined,
    sourcePort: number,
    destination: Uint8Array,
    destinationPort: number,
    data: Uint8Array,
  ): UdpSendResult {
    const payloadLength = 8 + data.length;
    if (payloadLength > IPV6_MAX_PAYLOAD) {
      throw new NetrxError(
        'ERR_LINK_DATAGRAM_TOO_LARGE',
        `Cannot send ${data.length} bytes of UDP over IPv6: a packet holds at most ${IPV6_MAX_PAYLOAD - 8}`,
      );
    }
    checkDestination6(destination);
    if (findOwn(this.own.list, destination, 0) !== undefined) {
      return this.sendLocal(source ?? destination, sourcePort, destination, destinationPort, data);
    }
    const multicast = isIpv6Multicast(destination);
    let nextHop = destination;
    if (!multicast && !this.isOnLink(destination)) {
      const gateway = this.routes.gatewayFor(destination) ?? this.learnedRouter();
      if (gateway === undefined || !this.isOnLink(gateway)) return this.sendDrop('no-route');
      nextHop = gateway;
    }
    const from = source ?? sourceFor(this.own.list, destination);
    if (from === undefined) return this.sendDrop('no-source-address');
    const frame = allocFrame(this.linkHeader + 40 + payloadLength);
    const at = writeIpv6Frame(
      this.host,
      frame,
      multicast ? ipv6MulticastMac(destination) : undefined,
      undefined,
      payloadLength,
      NEXT_HEADER_UDP,
      // RFC 3493 §5.2: multicast defaults to hop limit 1 (the link), as sockets do.
      multicast ? 1 : this.hopLimit,
      from,
      destination,
    );
    writeUdp6(frame, at + 40, from, sourcePort, destination, destinationPort, data);
    const frames = this.fragmentsOf(
      frame,
      at,
      multicast ? ipv6MulticastMac(destination) : undefined,
    );
    if (multicast) {
      for (const piece of frames) this.host.send(piece);
      return 'sent';
    }
    // One unit for ND: the fragments wait for resolution, and are dropped, together.
    return this.transmit(nextHop, frames);
  }

  stats(): Ipv6Stats {
    return {
      name: this.name,
      ...this.counters,
      drops: { ...this.drops },
      sendDrops: { ...this.sendDrops },
      cache: this.cache.stats(),
      reassembly: this.reassembly.stats(),
      pathMtu: this.pathMtu.stats(),
      mld: {
        version: this.mld?.version ?? 2,
        rateLimited: this.mld?.rateLimited ?? 0,
        retransmitPending: this.mld?.repeatsPending ?? 0,
      },
      routerDiscovery: this.routerDiscovery.stats(),
    };
  }

  /** Unbinds, cancels DAD, MLD and cache timers; idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.own.close();
    this.mld?.close();
    this.reassembly.close();
    this.cache.close();
    this.handle.close();
  }

  private isOnLink(destination: Uint8Array): boolean {
    return (
      onLink(this.own.list, destination) ||
      (this.acceptRa && this.routerDiscovery.isOnLink(destination))
    );
  }

  private learnedRouter(): Uint8Array | undefined {
    return this.acceptRa ? this.routerDiscovery.defaultRouter() : undefined;
  }

  private packetTooBig(ind: Indication, icmp: Icmpv6Packet): 'accepted' | 'not-accepted' {
    const verdict = receivePacketTooBig(
      this.pathMtu,
      icmp,
      (bytes, at) => findOwn(this.own.list, bytes, at) !== undefined,
    );
    if (verdict === 'invalid') return this.drop('bad-packet-too-big', ind.packetSize);
    if (verdict === 'recorded') this.counters.packetTooBig++;
    return 'accepted';
  }

  /** The frames that carry the packet at `frame[ipAt..]`: itself, or fragments of it past the path MTU. */
  private fragmentsOf(
    frame: Uint8Array,
    ipAt: number,
    destinationMac: Uint8Array | undefined,
  ): Uint8Array[] {
    const mtu = this.pathMtu.mtuFor(frame, ipAt + 24);
    if (frame.length - ipAt <= mtu) return [frame];
    const id = this.identification.next(frame, ipAt + 24);
    const pieces = fragmentIpv6(frame.subarray(ipAt), mtu, ipAt, id, (piece) =>
      writeLinkHeader(piece, destinationMac, this.adapter.mac, this.vlan, ETHERTYPE_IPV6),
    );
    this.counters.fragmented++;
    this.counters.fragmentsSent += pieces.length;
    return pieces;
  }

  /**
   * A datagram to an own address: delivered to the socket bound for it
   * without the wire (see the IPv4 binding's `sendLocal`).
   */
  private sendLocal(
    from: Uint8Array,
    sourcePort: number,
    to: Uint8Array,
    destinationPort: number,
    data: Uint8Array,
  ): UdpSendResult {
    // deliver6 reads the addresses where an IPv6 header holds them and the data after it.
    const packet = new Uint8Array(40 + data.length);
    packet.set(from, 8);
    packet.set(to, 24);
    packet.set(data, 40);
    const outcome = this.udp.deliver6(packet, sourcePort, destinationPort, 40, packet.length);
    if (outcome === 'no-socket') return this.sendDrop('local-no-socket');
    if (outcome === 'queue-full') return this.sendDrop('local-queue-full');
    this.counters.local++;
    return 'sent';
  }

  private transmit(destination: Uint8Array, frames: readonly Uint8Array[]): UdpSendResult {
    const result: NeighborSendResult = this.cache.sendAll(ipv6Key(destination), frames);
    if (result === 'refused') return this.sendDrop('resolution-refused');
    if (result === 'queue-full') return this.sendDrop('resolution-queue-full');
    this.counters.sent += frames.length;
    return result;
  }
}
