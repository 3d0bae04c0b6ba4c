/**
 * What the IPv4 binding sends (ipv4-binding.ts): UDP datagrams built into
 * one frame, the route to a destination (broadcast, multicast, on-link or a
 * route's gateway), fragments past the MTU (ipv4-fragments.ts) that go to
 * the next hop as one unit, datagrams to an own address delivered without
 * the wire, the destinations no datagram may go to, and the 20-byte header
 * every send and reply (ipv4-icmp.ts) writes. The binding owns the state;
 * this sees it through `Ipv4SendContext`.
 */
import { allocFromSlab as allocFrame } from '../bytes/index.js';
import { NetrxError } from '../runtime/index.js';
import {
  finishChecksum,
  formatIpv4Address,
  ipv4MulticastMac,
  isIpv4Multicast,
  sumBytes,
} from '../wire/index.js';
import type { Adapter } from './adapter.js';
import type { ArpBinding } from './arp-binding.js';
import { putU16, putU32 } from './frame-write.js';
import type { Ipv4Identification } from './identification.js';
import type { Ipv4SendDropReason } from './ipv4-binding-options.js';
import { fragmentIpv4, IPV4_MAX_DATAGRAM } from './ipv4-fragments.js';
import { ETHERTYPE_IPV4, PROTOCOL_UDP, UNICAST, type Ipv4Counters } from './ipv4-icmp.js';
import type { Ipv4OwnAddresses } from './ipv4-own-addresses.js';
import { writeUdp4 } from './ipv4-udp.js';
import { writeLinkHeader } from './link-header.js';
import type { Ipv4Routes } from './routes.js';
import type { UdpSendResult, UdpSockets } from './udp-socket.js';

/** The binding's state the send path reads. */
export interface Ipv4SendContext {
  readonly adapter: Adapter;
  /** The binding's VLAN id, or -1 (untagged). */
  readonly vlan: number;
  readonly linkHeader: number;
  readonly own: Ipv4OwnAddresses;
  readonly routes: Ipv4Routes;
  readonly arp: ArpBinding;
  readonly udp: UdpSockets;
  readonly counters: Ipv4Counters;
  /** Where the Identification values come from (RFC 7739). */
  readonly identification: Ipv4Identification;
  /** TTL of the datagrams sent. */
  readonly ttl: number;
  /** Hands a whole frame to the adapter. */
  readonly send: (frame: Uint8Array) => void;
  readonly sendDrop: (reason: Ipv4SendDropReason) => 'dropped';
}

/** See the file comment. */
export class Ipv4Sender {
  // The context's fields, read on every send and reply, kept as own fields
  // (one load each instead of two on the send path).
  private readonly adapter: Adapter;
  private readonly vlan: number;
  private readonly linkHeader: number;
  private readonly own: Ipv4OwnAddresses;
  private readonly routes: Ipv4Routes;
  private readonly arp: ArpBinding;
  private readonly udp: UdpSockets;
  private readonly counters: Ipv4Counters;
  private readonly identification: Ipv4Identification;
  private readonly ttl: number;

  constructor(private readonly context: Ipv4SendContext) {
    this.adapter = context.adapter;
    this.vlan = context.vlan;
    this.linkHeader = context.linkHeader;
    this.own = context.own;
    this.routes = context.routes;
    this.arp = context.arp;
    this.udp = context.udp;
    this.counters = context.counters;
    this.identification = context.identification;
    this.ttl = context.ttl;
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
    const ipLength = 28 + data.length;
    if (ipLength > IPV4_MAX_DATAGRAM) {
      throw new NetrxError(
        'ERR_LINK_DATAGRAM_TOO_LARGE',
        `Cannot send ${data.length} bytes of UDP over IPv4: a datagram holds at most ${IPV4_MAX_DATAGRAM - 28}`,
      );
    }
    const to = destination >>> 0;
    checkDestination4(to);
    if (this.own.classify(to) === UNICAST) {
      return this.sendLocal(source ?? to, sourcePort, to, destinationPort, data);
    }
    const route = this.route(to);
    if (route === undefined) return this.context.sendDrop('no-route');
    const from = source ?? route.source;
    if (from === undefined) return this.context.sendDrop('no-source-address');
    // Broadcast and multicast go straight to their link address, never to a gateway.
    const linkDestination =
      route.nextHop === BROADCAST_HOP
        ? BROADCAST_MAC
        : route.nextHop === MULTICAST_HOP
          ? ipv4MulticastMac(to)
          : undefined;
    const frame = allocFrame(this.linkHeader + ipLength);
    const at = writeLinkHeader(frame, linkDestination, this.adapter.mac, this.vlan, ETHERTYPE_IPV4);
    this.writeIpHeader(frame, at, ipLength, PROTOCOL_UDP, 0, from, to);
    if (route.nextHop === MULTICAST_HOP) {
      // RFC 1112 §6.1: multicast defaults to TTL 1 (the link), as sockets do.
      frame[at + 8] = 1;
      putU16(frame, at + 10, 0);
      putU16(frame, at + 10, finishChecksum(sumBytes(frame, at, at + 20)));
    }
    writeUdp4(frame, at + 20, from, to, sourcePort, destinationPort, data);
    if (ipLength <= this.adapter.mtu) return this.transmit([frame], route.nextHop);
    // Too large for one frame: the datagram just built is cut into fragments.
    const writeLink = (fragment: Uint8Array) =>
      writeLinkHeader(fragment, linkDestination, this.adapter.mac, this.vlan, ETHERTYPE_IPV4);
    const fragments = fragmentIpv4(frame.subarray(at), this.adapter.mtu, at, writeLink);
    this.counters.fragmented++;
    this.counters.fragmentsSent += fragments.length;
    // One unit for ARP: the fragments wait for resolution, and are dropped, together.
    return this.transmit(fragments, route.nextHop);
  }

  /**
   * Where a datagram to `destination` goes: `nextHop` (-1 for link broadcast,
   * -2 for multicast; the destination itself on-link, else its route's gateway) and the own
   * address to send from. Undefined when there is no route, or its gateway
   * is not on an own subnet.
   */
  route(destination: number): { nextHop: number; source: number | undefined } | undefined {
    const first = this.own.list[0]?.address;
    if (destination === 0xffffffff) return { nextHop: BROADCAST_HOP, source: first };
    if (isIpv4Multicast(destination)) return { nextHop: MULTICAST_HOP, source: first };
    const broadcasting = this.own.broadcastSource(destination);
    if (broadcasting !== undefined) return { nextHop: BROADCAST_HOP, source: broadcasting };
    const onLink = this.own.onLinkSource(destination);
    if (onLink !== undefined) return { nextHop: destination, source: onLink };
    const gateway = this.routes.gatewayFor(destination);
    if (gateway === undefined) return undefined;
    const source = this.own.onLinkSource(gateway);
    return source === undefined ? undefined : { nextHop: gateway, source };
  }

  /** A 20-byte IPv4 header at `into[at..]`, checksum filled, through the view. */
  writeIpHeader(
    into: Uint8Array,
    at: number,
    totalLength: number,
    protocol: number,
    tos: number,
    source: number,
    destination: number,
  ): void {
    // Written in place at the RFC 791 offsets, not through a view of a
    // subarray: every reply and send writes one (bench/link-replies).
    into[at] = 0x45; // version 4, 20-byte header
    into[at + 1] = tos;
    putU16(into, at + 2, totalLength);
    putU16(into, at + 4, this.identification.next(destination));
    putU16(into, at + 6, 0); // flags and fragment offset
    into[at + 8] = this.ttl;
    into[at + 9] = protocol;
    putU16(into, at + 10, 0);
    putU32(into, at + 12, source);
    putU32(into, at + 16, destination);
    putU16(into, at + 10, finishChecksum(sumBytes(into, at, at + 20)));
  }

  /**
   * A datagram to an own address: delivered to the socket bound for it
   * without touching the wire (no loopback interface, no ARP for ourselves,
   * no frame for the taps); nobody listening is a counted send drop, never
   * an ICMP error.
   */
  private sendLocal(
    from: number,
    sourcePort: number,
    to: number,
    destinationPort: number,
    data: Uint8Array,
  ): UdpSendResult {
    const outcome = this.udp.deliver4(from, sourcePort, to, destinationPort, data, 0, data.length);
    if (outcome === 'no-socket') return this.context.sendDrop('local-no-socket');
    if (outcome === 'queue-full') return this.context.sendDrop('local-queue-full');
    this.counters.local++;
    return 'sent';
  }

  /** Sends the frames of one datagram to `nextHop` (through ARP unless it is a link address). */
  private transmit(frames: Uint8Array[], nextHop: number): UdpSendResult {
    if (nextHop < 0) {
      for (const frame of frames) {
        this.counters.sent++;
        this.context.send(frame);
      }
      return 'sent';
    }
    const result = this.arp.sendAll(nextHop, frames);
    if (result === 'refused') return this.context.sendDrop('resolution-refused');
    if (result === 'queue-full') return this.context.sendDrop('resolution-queue-full');
    this.counters.sent += frames.length;
    return result;
  }
}

const BROADCAST_MAC = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
/** `route()`'s next hops that are link addresses rather than IPv4 ones. */
const BROADCAST_HOP = -1;
const MULTICAST_HOP = -2;

/**
 * Destinations no datagram may be sent to on a wire (RFC 1122 §3.2.1.3,
 * RFC 6890): 0/8 ("this network"), 127/8 (loopback, which netrx does not
 * have) and 240/4 but 255.255.255.255 (reserved). Misuse: it throws.
 */
function checkDestination4(to: number): void {
  const first = to >>> 24;
  let why: string | undefined;
  if (first === 0) why = 'an address of "this network" (0.0.0.0/8) names no destination';
  else if (first === 127) why = 'a loopback address (127.0.0.0/8) never goes on a wire';
  else if (to >>> 28 === 0xf && to !== 0xffffffff) why = '240.0.0.0/4 is reserved';
  if (why !== undefined) {
    throw new NetrxError(
      'ERR_LINK_BAD_DESTINATION',
      `Cannot send to ${formatIpv4Address(to)}: ${why}`,
    );
  }
}
