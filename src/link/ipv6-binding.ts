/**
 * The IPv6 binding (RFC 8200): own addresses and Duplicate Address
 * Detection (RFC 4862 §5.4), the receive demultiplexer with its extension
 * headers, and `sendUdp`. Neighbor Discovery lives in ipv6-nd.ts, ICMPv6
 * (echo, errors) in ipv6-icmp.ts and UDP in ipv6-udp.ts; they see the
 * binding through the small `Ipv6Host` interface (ipv6-host.ts).
 *
 * Addresses: a link-local address derived from the adapter's MAC (modified
 * EUI-64, RFC 4291 §2.5.1 and App. A) plus configured ones. Each starts
 * TENTATIVE: it joins its solicited-node group (the binding's multicast list,
 * RFC 2464 §7 MAC) and sends `dadTransmits` Neighbor Solicitations from `::`,
 * one per `retransmitMs`; if nobody objects it becomes PREFERRED. An NA for
 * it, or an NS from `::` for it (another node's DAD), makes it FAILED
 * (counted as `dadFailures`, traced as `duplicate`). RFC 4862's random delay
 * before the first probe is left out: cores have no randomness of their own.
 * Joining and leaving a group is reported with MLDv2, and queries are
 * answered (ipv6-mld.ts), so switches that snoop MLD forward NS to us.
 *
 * Send: past the MTU a packet is fragmented (ipv6-fragments.ts), up to a
 * 65,535-byte payload.
 *
 * Receive: only frames on the binding's segment (untagged, or its VLAN);
 * sources that are multicast, ::1, IPv4-mapped (::ffff:0:0/96) or an own
 * address (except in ND, where DAD needs it) are dropped (`bad-source`), and `::`
 * is accepted only where ND allows it (a DAD probe). Every length comes from
 * Payload Length and UDP Length, so Ethernet padding is ignored. Hop-by-Hop
 * and Destination options are honoured by their action bits (RFC 8200 §4.2:
 * skip, drop, drop and Parameter Problem, drop and Parameter Problem unless
 * to multicast); an atomic fragment (offset 0, M clear) is processed as the
 * packet it carries (RFC 6946); other fragments are put back together by a
 * bounded `Reassembly` (60 s, RFC 8200 §4.5; overlaps drop the packet, RFC
 * 5722) and the packet is then processed whole; an unknown next header is dropped and answered with
 * Parameter Problem code 1 (RFC 8200 §4). Rejection of another host's
 * traffic allocates nothing; once a packet is ours it is read through the
 * `netrx/wire` views.
 */
import { allocFromSlab as allocFrame } from '../bytes/index.js';
import { NetrxError, type Clock } from '../runtime/index.js';
import {
  formatIpv6Address,
  IpProtocol,
  Ipv6Packet,
  ipv6MulticastMac,
  isIpv6ExtensionHeader,
  isIpv6Multicast,
  isIpv6Unspecified,
  solicitedNodeMulticast,
  walkIpv6Extensions,
  type Ipv6ExtensionWalk,
} from '../wire/index.js';
import { IpBindingBase, type BindingBaseOptions } from './binding-base.js';
import { traceAddress } from './binding-events.js';
import type { Indication } from './indication.js';
import {
  ALL_NODES_MAC,
  classifyDestination,
  equalAt,
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
  type Ipv6OwnAddress,
} from './ipv6-address.js';
import { ParameterProblemCode, receiveIcmpv6, sendIcmpv6Error } from './ipv6-icmp.js';
import {
  ETHERTYPE_IPV6,
  IPV6_DROP_REASONS,
  Ipv6Kind,
  NEXT_HEADER_ICMPV6,
  NEXT_HEADER_UDP,
  writeIpv6Frame,
  type Ipv6Counters,
  type Ipv6DropReason,
  type Ipv6Host,
} from './ipv6-host.js';
import { sendDadProbe, sendSolicitation } from './ipv6-nd.js';
import { MldRecord, receiveMldQuery, sendMldReport } from './ipv6-mld.js';
import { checkOptions } from './ipv6-options.js';
import { receiveUdp6, writeUdp6 } from './ipv6-udp.js';
import {
  NeighborCache,
  type NeighborCacheLimits,
  type NeighborCacheStats,
  type NeighborEntry,
  type NeighborSendResult,
} from './neighbor-cache.js';
import { wholePacket } from './packet.js';
import {
  fragmentIpv6,
  IPV6_MAX_PAYLOAD,
  joinIpv6,
  NEXT_HEADER_FRAGMENT,
} from './ipv6-fragments.js';
import { writeLinkHeader } from './link-header.js';
import { PacketFilter } from './packet-filter.js';
import {
  Reassembly,
  type Reassembled,
  type ReassemblyLimits,
  type ReassemblyStats,
} from './reassembly.js';
import { Ipv6Routes } from './routes.js';
import type { UdpSendResult, UdpSockets } from './udp-socket.js';

export { ETHERTYPE_IPV6, type Ipv6DropReason } from './ipv6-host.js';
export { ipv6Key, linkLocalFromMac, type Ipv6AddressState } from './ipv6-address.js';

const IPV6_SEND_DROP_REASONS = ['no-route', 'no-source-address', 'resolution-refused'] as const;

export type Ipv6SendDropReason = (typeof IPV6_SEND_DROP_REASONS)[number];

export interface Ipv6Limits {
  /** DupAddrDetectTransmits (RFC 4862). Default 1; 0 skips DAD. */
  readonly dadTransmits?: number;
  readonly icmpErrorsPerSecond?: number;
  readonly icmpErrorBurst?: number;
  /** Hop limit of packets we send (ND uses 255). Default 64. */
  readonly hopLimit?: number;
  /** Routes in the routing table. Default 64. */
  readonly maxRoutes?: number;
  /** Fragment reassembly limits (16 packets, 4 per source, 64 fragments each, 256 KiB, 60 s). */
  readonly reassembly?: ReassemblyLimits;
  /** Send MLDv2 reports for the solicited-node groups and answer queries. Default true. */
  readonly mld?: boolean;
}

export interface Ipv6BindingOptions extends BindingBaseOptions {
  readonly clock: Clock;
  readonly udp: UdpSockets;
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
}

/** See the file comment. */
export class Ipv6Binding extends IpBindingBase<Ipv6DropReason, Ipv6SendDropReason> {
  readonly cache: NeighborCache<string>;
  /** Routes through routers (::/0: the default router). */
  readonly routes: Ipv6Routes;
  private readonly clock: Clock;
  private readonly udp: UdpSockets;
  private readonly dadTransmits: number;
  private readonly retransmitMs: number;
  private readonly hopLimit: number;
  private addresses: Ipv6OwnAddress[] = [];
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
  };
  private readonly mld: boolean;
  private readonly reassembly: Reassembly;
  private identification = 0;
  /** What ND, ICMPv6 and UDP see of this binding. */
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
    this.clock = options.clock;
    this.udp = options.udp;
    this.dadTransmits = limits.dadTransmits ?? 1;
    this.retransmitMs = options.neighborLimits?.retransmitMs ?? 1000;
    this.hopLimit = limits.hopLimit ?? 64;
    this.routes = new Ipv6Routes(limits.maxRoutes);
    this.mld = limits.mld ?? true;
    // 48: the fixed header and the Fragment header, which the packet put back together loses.
    this.reassembly = new Reassembly(
      options.clock,
      IPV6_MAX_PAYLOAD,
      { timeoutMs: 60_000, ...limits.reassembly },
      48,
    );
    this.cache = new NeighborCache<string>(
      'nd',
      options.clock,
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
      findOwn: (bytes, at) => findOwn(this.addresses, bytes, at),
      sourceFor: (destination) => sourceFor(this.addresses, destination),
      dadFailed: (own) => this.dadFailed(own),
      mldQuery: (ind, ip, icmp) =>
        this.mld
          ? receiveMldQuery(
              this.host,
              ind,
              ip,
              icmp,
              joinedGroups(this.addresses),
              mldSource(this.addresses),
            )
          : 'accepted',
      conflict: (own) => {
        this.counters.conflicts++;
        traceAddress(this.trace, 6, formatIpv6Address(own.address), 'conflict');
      },
    };
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
    if (address.length !== 16)
      throw new TypeError(`An IPv6 address has 16 bytes: got ${address.length}`);
    if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > 128) {
      throw new RangeError(
        `An IPv6 prefix length is an integer from 0 to 128: got ${prefixLength}`,
      );
    }
    if (isIpv6Multicast(address) || isIpv6Unspecified(address)) {
      throw new TypeError(`Not a unicast IPv6 address: ${formatIpv6Address(address)}`);
    }
    this.removeAddress(address);
    const own: Ipv6OwnAddress = {
      address: Uint8Array.from(address),
      prefixLength,
      group: solicitedNodeMulticast(address),
      state: 'tentative',
      dadSent: 0,
      timer: undefined,
    };
    const joined = joinedGroups(this.addresses).some((group) => equalAt(group, 0, own.group));
    this.addresses = [...this.addresses, own];
    this.handle.addMulticast(ipv6MulticastMac(own.group));
    if (this.mld && !joined) {
      sendMldReport(this.host, MldRecord.ChangeToExclude, [own.group], mldSource(this.addresses));
    }
    if (this.dadTransmits === 0) {
      this.setState(own, 'preferred');
      return;
    }
    traceAddress(this.trace, 6, formatIpv6Address(own.address), 'tentative');
    this.dadStep(own);
  }

  removeAddress(address: Uint8Array): boolean {
    const own = this.addresses.find((a) => equalAt(a.address, 0, address));
    if (own === undefined) return false;
    own.timer?.cancel();
    this.addresses = this.addresses.filter((a) => a !== own);
    this.leaveGroup(own);
    traceAddress(this.trace, 6, formatIpv6Address(own.address), 'removed');
    return true;
  }

  addressList(): Ipv6AddressInfo[] {
    return this.addresses.map((a) => ({
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

  receive(ind: Indication): 'accepted' | 'not-accepted' {
    if (ind.etherType !== ETHERTYPE_IPV6) return 'not-accepted';
    if (!this.onSegment(ind)) return this.ignore('other-vlan');
    const size = ind.packetSize;
    if (size < 40 || ind.lookaheadSize < 40) return this.drop('truncated', size);
    if (ind.byteAt(0) >> 4 !== 6) return this.drop('bad-version', size);
    const total = 40 + ind.u16At(4);
    if (total > size) return this.drop('truncated', size);
    const kind = classifyDestination(this.addresses, ind);
    if (kind === Ipv6Kind.NotOurs) return this.ignore('not-for-us');
    if (kind === Ipv6Kind.Tentative) return this.drop('tentative-destination', size);
    if (ind.byteAt(8) === 0xff) return this.drop('bad-source', size);
    // The packet is ours: from here on we may allocate, and read through the views.
    const ip = Ipv6Packet.unchecked(wholePacket(ind, total));
    if (isLoopbackAt(ip.bytes, 8) || isIpv4MappedAt(ip.bytes, 8)) {
      return this.drop('bad-source', size);
    }
    return this.process(ind, ip, kind, true);
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
    const multicast = isIpv6Multicast(destination);
    let nextHop = destination;
    if (!multicast && !onLink(this.addresses, destination)) {
      const gateway = this.routes.gatewayFor(destination);
      if (gateway === undefined || !onLink(this.addresses, gateway))
        return this.sendDrop('no-route');
      nextHop = gateway;
    }
    const from = source ?? sourceFor(this.addresses, destination);
    if (from === undefined) return this.sendDrop('no-source-address');
    const frame = allocFrame(this.linkHeader + 40 + payloadLength);
    const at = writeIpv6Frame(
      this.host,
      frame,
      multicast ? ipv6MulticastMac(destination) : undefined,
      undefined,
      payloadLength,
      NEXT_HEADER_UDP,
      this.hopLimit,
      from,
      destination,
    );
    writeUdp6(frame, at + 40, from, sourcePort, destination, destinationPort, data);
    const frames = this.fragmentsOf(
      frame,
      at,
      multicast ? ipv6MulticastMac(destination) : undefined,
    );
    let result: UdpSendResult = 'sent';
    for (const piece of frames) {
      let sent: UdpSendResult = 'sent';
      if (multicast) this.host.send(piece);
      else sent = this.transmit(nextHop, piece);
      if (sent === 'dropped') result = 'dropped';
      else if (sent === 'queued' && result === 'sent') result = 'queued';
    }
    return result;
  }

  stats(): Ipv6Stats {
    return {
      name: this.name,
      ...this.counters,
      drops: { ...this.drops },
      sendDrops: { ...this.sendDrops },
      cache: this.cache.stats(),
      reassembly: this.reassembly.stats(),
    };
  }

  /** Unbinds, cancels DAD and cache timers; idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const own of this.addresses) own.timer?.cancel();
    this.reassembly.close();
    this.cache.close();
    this.handle.close();
  }

  // --- receive ------------------------------------------------------------

  /**
   * Extension headers, fragments, then the upper layer; `trustOffload` is
   * false for a reassembled packet, `reassembled` true.
   */
  private process(
    ind: Indication,
    ip: Ipv6Packet,
    kind: number,
    trustOffload: boolean,
    reassembled = false,
  ): 'accepted' | 'not-accepted' {
    const size = ind.packetSize;
    let fragmented = reassembled;
    let next = ip.nextHeader;
    let offset = 40;
    let pointer = 6; // where the Next Header field naming the upper layer is
    if (isIpv6ExtensionHeader(next)) {
      const walked = walkIpv6Extensions(next, ip.bytes, 40);
      if (!walked.ok) return this.drop('bad-extension-headers', size);
      const walk = walked.value;
      const verdict = checkOptions(this.host, ind, ip, walk);
      if (verdict !== undefined) return verdict;
      const fragment = walk.fragment;
      // RFC 6946: an atomic fragment (offset 0, no more) is the whole packet.
      if (fragment !== undefined && (fragment.fragmentOffset !== 0 || fragment.moreFragments)) {
        return this.reassemble(ind, ip, walk, kind);
      }
      fragmented ||= fragment !== undefined;
      next = walk.upperLayerProtocol;
      offset = walk.upperLayerOffset;
      pointer = walk.headers.at(-1)?.offset ?? 6;
    }
    // An own address as the source: a loop or a spoof, never answered. ND
    // is exempt: a defender's NA during DAD comes from our tentative address.
    if (!isNeighborDiscovery(next, ip.bytes, offset) && this.isOwnSource(ip)) {
      return this.drop('bad-source', size);
    }
    this.counters.received++;
    if (next === NEXT_HEADER_ICMPV6) {
      return receiveIcmpv6(this.host, ind, ip, offset, kind, fragmented);
    }
    if (next === NEXT_HEADER_UDP) {
      return receiveUdp6(this.host, this.udp, ind, ip, offset, kind, trustOffload);
    }
    if (next === IpProtocol.Ipv6NoNextHeader) return 'accepted';
    this.drop('unknown-next-header', size);
    if (kind === Ipv6Kind.Unicast) {
      sendIcmpv6Error(
        this.host,
        ind,
        ip,
        PARAMETER_PROBLEM,
        ParameterProblemCode.UnrecognizedNextHeader,
        pointer,
      );
    }
    return 'not-accepted';
  }

  /** A fragment: kept until its packet is whole, then the packet is processed (RFC 8200 §4.5). */
  private reassemble(
    ind: Indication,
    ip: Ipv6Packet,
    walk: Ipv6ExtensionWalk,
    kind: number,
  ): 'accepted' | 'not-accepted' {
    const at = walk.headers.findIndex((h) => h.type === NEXT_HEADER_FRAGMENT);
    const header = walk.headers[at] as Ipv6ExtensionWalk['headers'][number];
    const fragment = walk.fragment as NonNullable<Ipv6ExtensionWalk['fragment']>;
    const namedAt = at === 0 ? 6 : (walk.headers[at - 1] as { offset: number }).offset;
    const end = 40 + ip.payloadLength;
    const source = ipv6Key(ip.sourceAddress);
    const outcome = this.reassembly.add(
      `${source}/${ipv6Key(ip.destinationAddress)}/${fragment.identification}`,
      fragment.fragmentOffset * 8,
      fragment.moreFragments,
      ip.bytes.subarray(header.offset + 8, end),
      ip.bytes.subarray(0, header.offset + 8),
      source,
    );
    if (outcome === 'pending' || outcome === 'duplicate') return 'accepted';
    if (outcome === 'too-large' && kind === Ipv6Kind.Unicast) {
      // RFC 8200 §4.5: Parameter Problem code 0 pointing at the Fragment Offset field.
      sendIcmpv6Error(
        this.host,
        ind,
        ip,
        PARAMETER_PROBLEM,
        ParameterProblemCode.ErroneousHeaderField,
        header.offset + 2,
      );
    }
    if (outcome !== 'complete') return this.drop(FRAGMENT_DROPS[outcome], ind.packetSize);
    const whole = Ipv6Packet.unchecked(joinIpv6(this.reassembly.last as Reassembled, namedAt));
    return this.process(ind, whole, kind, false, true);
  }

  /** The frames that carry the packet at `frame[ipAt..]`: itself, or fragments of it past the MTU. */
  private fragmentsOf(
    frame: Uint8Array,
    ipAt: number,
    destinationMac: Uint8Array | undefined,
  ): Uint8Array[] {
    if (frame.length - ipAt <= this.adapter.mtu) return [frame];
    this.identification = (this.identification + 1) >>> 0;
    const pieces = fragmentIpv6(
      frame.subarray(ipAt),
      this.adapter.mtu,
      ipAt,
      this.identification,
      (piece) =>
        writeLinkHeader(piece, destinationMac, this.adapter.mac, this.vlan, ETHERTYPE_IPV6),
    );
    this.counters.fragmented++;
    this.counters.fragmentsSent += pieces.length;
    return pieces;
  }

  private isOwnSource(ip: Ipv6Packet): boolean {
    const own = findOwn(this.addresses, ip.bytes, 8);
    return own !== undefined && own.state !== 'failed';
  }

  // --- addresses and DAD ----------------------------------------------------

  private dadStep(own: Ipv6OwnAddress): void {
    own.timer = undefined;
    if (this.closed || own.state !== 'tentative') return;
    if (own.dadSent >= this.dadTransmits) {
      this.counters.dadSuccesses++;
      this.setState(own, 'preferred');
      return;
    }
    own.dadSent++;
    sendDadProbe(this.host, own);
    own.timer = this.clock.setTimer(this.retransmitMs, () => this.dadStep(own));
  }

  private dadFailed(own: Ipv6OwnAddress): void {
    own.timer?.cancel();
    own.timer = undefined;
    this.counters.dadFailures++;
    own.state = 'failed';
    this.leaveGroup(own);
    traceAddress(this.trace, 6, formatIpv6Address(own.address), 'duplicate');
  }

  private setState(own: Ipv6OwnAddress, state: Ipv6AddressState): void {
    own.state = state;
    traceAddress(this.trace, 6, formatIpv6Address(own.address), state);
  }

  private leaveGroup(own: Ipv6OwnAddress): void {
    const shared = this.addresses.some(
      (a) => a !== own && a.state !== 'failed' && equalAt(a.group, 0, own.group),
    );
    if (shared) return;
    this.handle.removeMulticast(ipv6MulticastMac(own.group));
    if (this.mld && !this.closed) {
      sendMldReport(this.host, MldRecord.ChangeToInclude, [own.group], mldSource(this.addresses));
    }
  }

  // --- send ---------------------------------------------------------------

  private transmit(destination: Uint8Array, frame: Uint8Array): UdpSendResult {
    const result: NeighborSendResult = this.cache.send(ipv6Key(destination), frame);
    if (result === 'refused') return this.sendDrop('resolution-refused');
    this.counters.sent++;
    return result;
  }
}

const PARAMETER_PROBLEM = 4;

/** Router Solicitation (133) to Redirect (137): ND, which has its own source rules. */
function isNeighborDiscovery(next: number, bytes: Uint8Array, offset: number): boolean {
  if (next !== NEXT_HEADER_ICMPV6) return false;
  const type = bytes[offset] ?? 0;
  return type >= 133 && type <= 137;
}

/** The drop reason for each way reassembly refuses a fragment. */
const FRAGMENT_DROPS = {
  overlap: 'fragment-overlap',
  'refused-buffers': 'reassembly-full',
  'refused-bytes': 'reassembly-full',
  'too-large': 'fragment-too-large',
  'too-many-pieces': 'fragment-too-many',
  'bad-fragment': 'bad-fragment',
  discarded: 'fragment-discarded',
} as const satisfies Record<string, Ipv6DropReason>;
