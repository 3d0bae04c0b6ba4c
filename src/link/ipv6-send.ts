/**
 * What the IPv6 binding sends (ipv6-binding.ts): UDP datagrams built into
 * one frame, the next hop (on-link, a route's gateway or a learned default
 * router), fragments past the path MTU with an unpredictable Identification
 * per destination (RFC 7739, identification.ts), datagrams to an own
 * address delivered without the wire, and the destinations no packet may
 * go to. The binding owns the state; this sees it through `Ipv6SendContext`.
 */
import { allocFromSlab as allocFrame } from '../bytes/index.js';
import { NetrxError } from '../runtime/index.js';
import {
  formatIpv6Address,
  ipv6MulticastMac,
  isIpv6Multicast,
  isIpv6Unspecified,
} from '../wire/index.js';
import type { Ipv6Identification } from './identification.js';
import {
  findOwn,
  ipv6Key,
  isIpv4MappedAt,
  isLoopbackAt,
  onLink,
  sourceFor,
  type Ipv6OwnAddress,
} from './ipv6-address.js';
import type { Ipv6SendDropReason } from './ipv6-binding-options.js';
import { fragmentIpv6, IPV6_MAX_PAYLOAD } from './ipv6-fragments.js';
import { ETHERTYPE_IPV6, NEXT_HEADER_UDP, writeIpv6Frame, type Ipv6Host } from './ipv6-host.js';
import type { PathMtuTable } from './ipv6-pmtu.js';
import type { RouterDiscovery } from './ipv6-router-discovery.js';
import { writeUdp6 } from './ipv6-udp.js';
import { writeLinkHeader } from './link-header.js';
import type { NeighborCache, NeighborSendResult } from './neighbor-cache.js';
import type { Ipv6Routes } from './routes.js';
import type { UdpSendResult, UdpSockets } from './udp-socket.js';

/** The binding's state the send path reads. */
export interface Ipv6SendContext {
  readonly host: Ipv6Host;
  /** The own addresses, read at each send (the list is replaced as they change). */
  readonly own: () => readonly Ipv6OwnAddress[];
  readonly udp: UdpSockets;
  readonly routes: Ipv6Routes;
  readonly pathMtu: PathMtuTable;
  readonly routerDiscovery: RouterDiscovery;
  readonly acceptRa: boolean;
  readonly cache: NeighborCache<string>;
  /** Where the Identification values come from (drawn once, in the binding's constructor). */
  readonly identification: Ipv6Identification;
  readonly sendDrop: (reason: Ipv6SendDropReason) => 'dropped';
}

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

/** See the file comment. */
export class Ipv6Sender {
  constructor(private readonly context: Ipv6SendContext) {}

  /** Sends a UDP datagram; `source` undefined picks an own PREFERRED address (RFC 6724, simplified). */
  sendUdp(
    source: Uint8Array | undefined,
    sourcePort: number,
    destination: Uint8Array,
    destinationPort: number,
    data: Uint8Array,
  ): UdpSendResult {
    const context = this.context;
    const host = context.host;
    const payloadLength = 8 + data.length;
    if (payloadLength > IPV6_MAX_PAYLOAD) {
      throw new NetrxError(
        'ERR_LINK_DATAGRAM_TOO_LARGE',
        `Cannot send ${data.length} bytes of UDP over IPv6: a packet holds at most ${IPV6_MAX_PAYLOAD - 8}`,
      );
    }
    checkDestination6(destination);
    const own = context.own();
    if (findOwn(own, destination, 0) !== undefined) {
      return this.sendLocal(source ?? destination, sourcePort, destination, destinationPort, data);
    }
    const multicast = isIpv6Multicast(destination);
    let nextHop = destination;
    if (!multicast && !this.isOnLink(destination)) {
      const gateway = context.routes.gatewayFor(destination) ?? this.learnedRouter();
      if (gateway === undefined || !this.isOnLink(gateway)) return context.sendDrop('no-route');
      nextHop = gateway;
    }
    const from = source ?? sourceFor(own, destination);
    if (from === undefined) return context.sendDrop('no-source-address');
    const frame = allocFrame(host.linkHeader + 40 + payloadLength);
    const at = writeIpv6Frame(
      host,
      frame,
      multicast ? ipv6MulticastMac(destination) : undefined,
      undefined,
      payloadLength,
      NEXT_HEADER_UDP,
      // RFC 3493 §5.2: multicast defaults to hop limit 1 (the link), as sockets do.
      multicast ? 1 : host.hopLimit,
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
      for (const piece of frames) host.send(piece);
      return 'sent';
    }
    // One unit for ND: the fragments wait for resolution, and are dropped, together.
    return this.transmit(nextHop, frames);
  }

  /** The frames that carry the packet at `frame[ipAt..]`: itself, or fragments of it past the path MTU. */
  fragmentsOf(
    frame: Uint8Array,
    ipAt: number,
    destinationMac: Uint8Array | undefined,
  ): Uint8Array[] {
    const { host, pathMtu } = this.context;
    const mtu = pathMtu.mtuFor(frame, ipAt + 24);
    if (frame.length - ipAt <= mtu) return [frame];
    const id = this.context.identification.next(frame, ipAt + 24);
    const pieces = fragmentIpv6(frame.subarray(ipAt), mtu, ipAt, id, (piece) =>
      writeLinkHeader(piece, destinationMac, host.mac, host.vlan, ETHERTYPE_IPV6),
    );
    host.counters.fragmented++;
    host.counters.fragmentsSent += pieces.length;
    return pieces;
  }

  /** Whether `destination` is on-link: an own prefix, link-local, or a prefix an RA taught. */
  isOnLink(destination: Uint8Array): boolean {
    return (
      onLink(this.context.own(), destination) ||
      (this.context.acceptRa && this.context.routerDiscovery.isOnLink(destination))
    );
  }

  private learnedRouter(): Uint8Array | undefined {
    return this.context.acceptRa ? this.context.routerDiscovery.defaultRouter() : undefined;
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
    const outcome = this.context.udp.deliver6(
      packet,
      sourcePort,
      destinationPort,
      40,
      packet.length,
    );
    if (outcome === 'no-socket') return this.context.sendDrop('local-no-socket');
    if (outcome === 'queue-full') return this.context.sendDrop('local-queue-full');
    this.context.host.counters.local++;
    return 'sent';
  }

  private transmit(destination: Uint8Array, frames: readonly Uint8Array[]): UdpSendResult {
    const result: NeighborSendResult = this.context.cache.sendAll(ipv6Key(destination), frames);
    if (result === 'refused') return this.context.sendDrop('resolution-refused');
    if (result === 'queue-full') return this.context.sendDrop('resolution-queue-full');
    this.context.host.counters.sent += frames.length;
    return result;
  }
}
