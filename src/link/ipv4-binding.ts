/**
 * The IPv4 binding (RFC 791, RFC 1122): own addresses with prefix lengths,
 * ICMP echo (RFC 792), UDP demultiplexing to sockets (RFC 768) and ICMP
 * errors for unbound ports and unknown protocols, rate-limited by a token
 * bucket on the clock (RFC 1812 §4.3.2.8).
 *
 * Receive: a datagram is ours when it is on the binding's segment (untagged,
 * or its VLAN) and addressed to an own unicast address, the subnet broadcast
 * of one, or 255.255.255.255; one from a source a host must not answer (0/8,
 * 127/8, 224/4, 240/4, an own address or subnet broadcast) is dropped as
 * `bad-source` and never answered. The header checksum is verified unless the
 * adapter says it already did (`oob.checksumVerified.ipv4`), and so is UDP's
 * (`oob.checksumVerified.udp`; a zero UDP checksum means none). Every length
 * comes from the datagram's own fields (Total Length, UDP Length), so
 * Ethernet padding is ignored and unpadded frames work. Fragments are put
 * back together by a bounded `Reassembly` (reassembly.ts: buffers, bytes
 * and time limited, overlaps dropped, each refusal counted; a timeout after
 * the first fragment of a unicast datagram sends Time Exceeded code 1) and the whole
 * datagram is then handled as if it had come in one piece (its checksums
 * always verified: offload flags describe the last fragment only). Rejection (another host's
 * address, another VLAN, another EtherType) reads through the indication's
 * accessors and allocates nothing; once a datagram is accepted it is read
 * and answered through the `netrx/wire` views.
 *
 * Replies (ipv4-icmp.ts): an echo reply (fragmented like any send when it
 * exceeds the MTU) is built in one buffer (our link header on the
 * binding's segment, a fresh 20-byte IP header, the ICMP message copied once
 * and its checksum updated incrementally, RFC 1624); the reply to an N-byte
 * echo request is N bytes. No replies to broadcasts (RFC 1122 §3.2.2.6
 * allows silence, Linux's default), and no ICMP errors about broadcasts or
 * ICMP errors (RFC 1122 §3.2.2).
 *
 * Send: a datagram larger than the MTU is fragmented (ipv4-fragments.ts),
 * up to 65,535 bytes; its fragments go to the next hop as one unit (while
 * ARP resolves they wait, and are dropped, together: neighbor-cache.ts).
 * Destinations on the subnet of an own address are resolved through
 * ARP (bounded queue while resolving); broadcasts go to ff:ff:ff:ff:ff:ff
 * and multicast to its group MAC with TTL 1, never to a gateway; an own
 * address is delivered to the local socket without the wire (no loopback
 * interface); 0/8, 127/8 and reserved 240/4 throw ERR_LINK_BAD_DESTINATION;
 * anything else goes to the gateway of its longest matching route
 * (`routes`, routes.ts; 0.0.0.0/0 is the default gateway) if that gateway is
 * on-link, and is dropped as `no-route` otherwise. Identification values
 * come from identification.ts (RFC 7739).
 *
 * Split by concern: this file (demux to the point a datagram is ours and
 * reassembly), ipv4-send.ts (sends, routing, fragments, the IP header),
 * ipv4-own-addresses.ts (the address table), ipv4-icmp.ts (echo and
 * errors), ipv4-udp.ts (UDP receive and the datagram of a send),
 * ipv4-fragments.ts; its settings and statistics types are in
 * ipv4-binding-options.ts.
 */
import { foldChecksum, formatIpv4Address, Ipv4Packet, sumBytes } from '../wire/index.js';
import type { ArpBinding } from './arp-binding.js';
import { hopLimitOption, IpBindingBase } from './binding-base.js';
import { traceAddress } from './binding-events.js';
import type { Indication } from './indication.js';
import {
  IPV4_SEND_DROP_REASONS,
  type Ipv4AddressConfig,
  type Ipv4BindingOptions,
  type Ipv4SendDropReason,
  type Ipv4Stats,
} from './ipv4-binding-options.js';
import { wholePacket } from './packet.js';
import {
  carriesIcmpError,
  ETHERTYPE_IPV4,
  ICMP_UNREACHABLE,
  IPV4_DROP_REASONS,
  isForbiddenSource,
  NOT_OURS,
  PROTOCOL_ICMP,
  PROTOCOL_UDP,
  receiveIcmp,
  sendIcmpError,
  sendTimeExceeded,
  UNICAST,
  type Ipv4Counters,
  type Ipv4DropReason,
  type Ipv4Host,
} from './ipv4-icmp.js';
import { Ipv4Identification } from './identification.js';
import { Ipv4OwnAddresses } from './ipv4-own-addresses.js';
import { isSourceRouted } from './ipv4-options.js';
import { Ipv4Sender } from './ipv4-send.js';
import { receiveUdp4 } from './ipv4-udp.js';
import { Destination, PacketFilter } from './packet-filter.js';
import { IPV4_MAX_DATAGRAM, joinIpv4 } from './ipv4-fragments.js';
import { FRAGMENT_DROPS, Reassembly, type Reassembled } from './reassembly.js';
import { Ipv4Routes } from './routes.js';
import type { UdpSendResult, UdpSockets } from './udp-socket.js';

export { ETHERTYPE_IPV4, type Ipv4DropReason } from './ipv4-icmp.js';
export type {
  Ipv4AddressConfig,
  Ipv4BindingOptions,
  Ipv4Limits,
  Ipv4SendDropReason,
  Ipv4Stats,
} from './ipv4-binding-options.js';

/** See the file comment. */
export class Ipv4Binding extends IpBindingBase<Ipv4DropReason, Ipv4SendDropReason> {
  /** Routes through gateways (0.0.0.0/0: the default gateway). */
  readonly routes: Ipv4Routes;
  private readonly arp: ArpBinding;
  private readonly own = new Ipv4OwnAddresses();
  private readonly counters: Ipv4Counters = {
    received: 0,
    delivered: 0,
    echoRequests: 0,
    echoReplies: 0,
    icmpErrorsSent: 0,
    icmpOther: 0,
    sent: 0,
    fragmented: 0,
    fragmentsSent: 0,
    local: 0,
  };
  private readonly reassembly: Reassembly;
  /** What the ICMP part sees of this binding. */
  private readonly host: Ipv4Host;
  /** UDP sends, routes, fragments and IP headers (ipv4-send.ts). */
  private readonly sender: Ipv4Sender;
  private readonly udp: UdpSockets;

  constructor(options: Ipv4BindingOptions) {
    super(options, 'ipv4', IPV4_DROP_REASONS, IPV4_SEND_DROP_REASONS);
    const limits = options.limits ?? {};
    this.arp = options.arp;
    this.udp = options.udp;
    this.routes = new Ipv4Routes(limits.maxRoutes);
    this.sender = new Ipv4Sender({
      adapter: this.adapter,
      vlan: this.vlan,
      linkHeader: this.linkHeader,
      own: this.own,
      routes: this.routes,
      arp: this.arp,
      udp: this.udp,
      counters: this.counters,
      identification: new Ipv4Identification(options.crypto),
      ttl: hopLimitOption('limits.ipv4.timeToLive', limits.timeToLive),
      send: (frame) => this.handle.send(frame),
      sendDrop: (reason) => this.sendDrop(reason),
    });
    this.reassembly = new Reassembly(
      options.clock,
      IPV4_MAX_DATAGRAM - 20,
      limits.reassembly,
      20,
      (first) =>
        sendTimeExceeded(this.host, first.context as Uint8Array, first.header, first.payload),
    );
    this.host = {
      mac: this.adapter.mac,
      vlan: this.vlan,
      linkHeader: this.linkHeader,
      mtu: this.adapter.mtu,
      counters: this.counters,
      drop: (reason, length) => this.drop(reason, length),
      mayReportError: (ind) => this.mayReportError(ind, 'icmp-rate-limited'),
      mayReportLater: () => this.mayReportLater('icmp-rate-limited'),
      writeIpHeader: (into, at, totalLength, protocol, tos, source, destination) =>
        this.sender.writeIpHeader(into, at, totalLength, protocol, tos, source, destination),
      transmit: (frame) => this.handle.send(frame),
    };
    this.open({
      lookahead: 128,
      etherTypes: [ETHERTYPE_IPV4],
      packetFilter: PacketFilter.Directed | PacketFilter.Broadcast,
    });
  }

  /** Adds an own address (and tells ARP, which announces it). */
  addAddress(address: number, prefixLength: number): void {
    const ip = this.own.add(address, prefixLength);
    traceAddress(this.trace, 4, formatIpv4Address(ip), 'preferred');
    this.arp.addAddress(ip, prefixLength);
  }

  removeAddress(address: number): boolean {
    const ip = address >>> 0;
    const removed = this.own.remove(ip);
    this.arp.removeAddress(ip);
    if (removed) traceAddress(this.trace, 4, formatIpv4Address(ip), 'removed');
    return removed;
  }

  /** Own addresses as text with prefix lengths. */
  addressList(): Ipv4AddressConfig[] {
    return this.own.list.map((a) => ({
      address: formatIpv4Address(a.address),
      prefixLength: a.prefixLength,
    }));
  }

  receive(ind: Indication): 'accepted' | 'not-accepted' {
    if (ind.etherType !== ETHERTYPE_IPV4) return 'not-accepted';
    if (!this.onSegment(ind)) return this.ignore('other-vlan');
    const size = ind.packetSize;
    if (size < 20 || ind.lookaheadSize < 20) return this.drop('truncated', size);
    const versionIhl = ind.byteAt(0);
    if (versionIhl >> 4 !== 4) return this.drop('bad-version', size);
    const headerLength = (versionIhl & 0x0f) * 4;
    if (headerLength < 20) return this.drop('bad-header-length', size);
    const total = ind.u16At(2);
    if (total < headerLength) return this.drop('bad-length', size);
    if (total > size) return this.drop('truncated', size);
    const destination = ind.u32At(16);
    const kind = this.own.classify(destination);
    if (kind === NOT_OURS) return this.ignore('not-for-us');
    const source = ind.u32At(12);
    if (isForbiddenSource(source) || this.own.isOwnSource(source)) {
      return this.drop('bad-source', size);
    }
    // The datagram is ours: from here on we may allocate, and read through the views.
    // The lookahead itself when it holds the datagram (no subarray per
    // datagram): the views end the payload at Total Length, so link padding
    // after it is never read.
    const bytes = ind.lookaheadSize >= total ? ind.lookahead : wholePacket(ind, total);
    if (bytes === undefined) return this.drop('truncated', size);
    let ip = Ipv4Packet.unchecked(bytes);
    // Summed in place (no subarray): this runs for every datagram we accept.
    if (
      ind.oob.checksumVerified?.ipv4 !== true &&
      foldChecksum(sumBytes(bytes, 0, headerLength)) !== 0xffff
    ) {
      return this.drop('bad-checksum', size);
    }
    // Only a header with options is scanned: the common 20-byte one costs nothing.
    if (headerLength > 20 && isSourceRouted(bytes, headerLength)) {
      return this.drop('source-routed', size);
    }
    let trustOffload = true;
    if (ip.isFragment) {
      const outcome = this.reassembly.add(
        `${source}/${destination}/${ip.protocol}/${ip.identification}`,
        ip.fragmentOffset * 8,
        ip.moreFragments,
        ip.payload,
        bytes.subarray(0, headerLength),
        `${source}`,
        // The sender's MAC, kept with a first fragment we may answer: a
        // timeout then sends Time Exceeded (RFC 1122 §3.3.2), but never
        // about an ICMP error (RFC 1122 §3.2.2).
        kind === UNICAST &&
          ind.destination === Destination.Directed &&
          !(ip.fragmentOffset === 0 && carriesIcmpError(ip.protocol, ip.payload))
          ? ind.header.slice(6, 12)
          : undefined,
      );
      if (outcome === 'pending' || outcome === 'duplicate') return 'accepted';
      if (outcome !== 'complete') return this.drop(FRAGMENT_DROPS[outcome], size);
      ip = Ipv4Packet.unchecked(joinIpv4(this.reassembly.last as Reassembled));
      trustOffload = false;
    }
    this.counters.received++;
    const protocol = ip.protocol;
    if (protocol === PROTOCOL_ICMP) return receiveIcmp(this.host, ind, ip, kind);
    if (protocol === PROTOCOL_UDP) {
      return receiveUdp4(this.host, this.udp, ind, ip, kind, trustOffload);
    }
    this.drop('unknown-protocol', size);
    if (kind === UNICAST) sendIcmpError(this.host, ind, ip, ICMP_UNREACHABLE, 2);
    return 'accepted';
  }

  /**
   * Sends a UDP datagram from `source` (an own address; undefined picks one)
   * to `destination`. One buffer for the frame; past the MTU the datagram is
   * fragmented, and past 65,535 bytes of IP it throws
   * `ERR_LINK_DATAGRAM_TOO_LARGE`.
   */
  sendUdp(
    source: number | undefined,
    sourcePort: number,
    destination: number,
    destinationPort: number,
    data: Uint8Array,
  ): UdpSendResult {
    return this.sender.sendUdp(source, sourcePort, destination, destinationPort, data);
  }

  /**
   * Where a datagram to `destination` goes: `nextHop` (-1 for link broadcast,
   * -2 for multicast; the destination itself on-link, else its route's gateway) and the own
   * address to send from. Undefined when there is no route, or its gateway
   * is not on an own subnet.
   */
  route(destination: number): { nextHop: number; source: number | undefined } | undefined {
    return this.sender.route(destination);
  }

  stats(): Ipv4Stats {
    return { ...this.ipStats(this.counters), reassembly: this.reassembly.stats() };
  }

  /** Unbinds and drops fragments being reassembled (their timers too); idempotent. */
  close(): void {
    this.reassembly.close();
    this.handle.close();
  }
}
