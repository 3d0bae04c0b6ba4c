/**
 * The IPv6 binding (RFC 8200): the receive demultiplexer up to the point a
 * packet is ours, and `sendUdp`. Its parts, each a file that sees the
 * binding through the small `Ipv6Host` interface (ipv6-host.ts): own
 * addresses and DAD (ipv6-own-addresses.ts), extension headers, fragments
 * and the upper-layer dispatch (ipv6-receive.ts), ICMPv6 (ipv6-icmp.ts),
 * Neighbor Discovery (ipv6-nd.ts), MLD (ipv6-mld.ts), UDP (ipv6-udp.ts),
 * the send path with next hops and fragmentation (ipv6-send.ts), path MTU
 * (ipv6-pmtu.ts) and Router Advertisement learning
 * (ipv6-router-discovery.ts, off by default); its settings and statistics
 * types are in ipv6-binding-options.ts.
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
import { formatIpv6Address, Ipv6Packet, type Icmpv6Packet } from '../wire/index.js';
import { hopLimitOption, IpBindingBase } from './binding-base.js';
import { traceAddress } from './binding-events.js';
import { Ipv6Identification } from './identification.js';
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
  sourceFor,
} from './ipv6-address.js';
import {
  IPV6_SEND_DROP_REASONS,
  type Ipv6AddressInfo,
  type Ipv6BindingOptions,
  type Ipv6SendDropReason,
  type Ipv6Stats,
} from './ipv6-binding-options.js';
import { IPV6_MAX_PAYLOAD } from './ipv6-fragments.js';
import {
  ETHERTYPE_IPV6,
  IPV6_DROP_REASONS,
  Ipv6Kind,
  type Ipv6Counters,
  type Ipv6DropReason,
  type Ipv6Host,
} from './ipv6-host.js';
import { MldListener } from './ipv6-mld.js';
import { sendSolicitation } from './ipv6-nd.js';
import { Ipv6OwnAddresses } from './ipv6-own-addresses.js';
import { PathMtuTable, receivePacketTooBig } from './ipv6-pmtu.js';
import { Ipv6Receiver } from './ipv6-receive.js';
import { RouterDiscovery } from './ipv6-router-discovery.js';
import { Ipv6Sender } from './ipv6-send.js';
import { randomSource } from './random-source.js';
import { NeighborCache, type NeighborEntry } from './neighbor-cache.js';
import { wholePacket } from './packet.js';
import { PacketFilter } from './packet-filter.js';
import { Reassembly } from './reassembly.js';
import { Ipv6Routes } from './routes.js';
import type { UdpSendResult, UdpSockets } from './udp-socket.js';

export { ETHERTYPE_IPV6, type Ipv6DropReason } from './ipv6-host.js';
export { ipv6Key, linkLocalFromMac, type Ipv6AddressState } from './ipv6-address.js';
export type {
  Ipv6AddressInfo,
  Ipv6BindingOptions,
  Ipv6Limits,
  Ipv6SendDropReason,
  Ipv6Stats,
} from './ipv6-binding-options.js';

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
  /** UDP sends, next hops and fragments (ipv6-send.ts). */
  private readonly sender: Ipv6Sender;
  /** What ND, ICMPv6, MLD and UDP see of this binding. */
  private readonly host: Ipv6Host;

  constructor(options: Ipv6BindingOptions) {
    super(options, 'ipv6', IPV6_DROP_REASONS, IPV6_SEND_DROP_REASONS);
    const limits = options.limits ?? {};
    const clock = options.clock;
    // First of all the draws from `crypto`, so a seeded one gives known IDs.
    const identification = new Ipv6Identification(options.crypto);
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
        for (const piece of this.sender.fragmentsOf(frame, ipAt, frame.subarray(0, 6))) {
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
    this.sender = new Ipv6Sender({
      host: this.host,
      own: () => this.own.list,
      udp: this.udp,
      routes: this.routes,
      pathMtu: this.pathMtu,
      routerDiscovery: this.routerDiscovery,
      acceptRa: this.acceptRa,
      cache: this.cache,
      identification,
      sendDrop: (reason) => this.sendDrop(reason),
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
    return this.sender.sendUdp(source, sourcePort, destination, destinationPort, data);
  }

  stats(): Ipv6Stats {
    return {
      ...this.ipStats(this.counters),
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
}
